import Checkout
import Foundation
import Postgres
import StripeSimulator
import Synchronization
import Testing
import TestSupport

/// The real `checkoutd` binary, several processes on one database: exactly-once jobs across
/// instances, crash recovery after SIGKILL, a full flow's logs, and `checkoutd reconcile`.
@Suite("checkoutd processes: outbox across instances, crashes, logs, reconcile")
struct OutboxProcessTests {
    typealias Running = CheckoutdProcessTests.Running

    /// Environment of a fast-polling worker process on `database`.
    static func env(_ database: String, _ extra: [String: String]) -> [String: String] {
        var env = CheckoutdProcessTests.env([
            "DATABASE_URL": database, "PORT": "0", "LOG_FORMAT": "json", "RECONCILE_INTERVAL": "0",
            "OUTBOX_POLL_INTERVAL": "0.05", "OUTBOX_BACKOFF_BASE": "0.05", "OUTBOX_BACKOFF_MAX": "0.2",
            "STRIPE_API_BASE": "http://127.0.0.1:9", "SHUTDOWN_GRACE": "2",
        ])
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Waits for the "listening on" line; returns the port.
    static func port(of p: Running) throws -> Int {
        var port: Int?
        _ = eventually(timeout: .seconds(60)) {
            if let match = p.stdout.firstMatch(of: #/listening on http://127\.0\.0\.1:(\d+)/#) { port = Int(match.1) }
            return port != nil || !p.process.isRunning
        }
        return try #require(port, "no listening line; stderr: \(p.stderr.suffix(2000))")
    }

    /// Inserts `n` paid orders awaiting fulfillment, each with its `fulfill` job, in one transaction.
    static func paidOrders(_ pool: ConnectionPool, _ n: Int) throws -> [String] {
        try pool.transaction { db in
            try (0..<n).map { _ in
                let id = UUID()
                try db.execute(
                    """
                    INSERT INTO orders (id, order_number, status, payment_status, fulfillment_status, currency, amount_total)
                    VALUES ($1, next_order_number('T'), 'paid', 'paid', 'pending', 'eur', 1000)
                    """, [id])
                let lower = id.uuidString.lowercased()
                try OutboxStore().enqueue(
                    db, kind: "fulfill", orderID: id, payload: ["orderId": lower], dedupeKey: "fulfill:\(lower)")
                return lower
            }
        }
    }

    static func count(_ pool: ConnectionPool, _ sql: String) throws -> Int64 {
        try pool.withConnection { db in try db.query(sql).first?.decode("n", as: Int64.self) ?? -1 }
    }

    @Test("two server processes on one database run each of 60 jobs exactly once")
    func twoInstancesExactlyOnce() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let pool = database.pool(max: 2)
        defer { pool.close() }
        let supplier = try Receiver { _, _ in
            Thread.sleep(forTimeInterval: 0.01)
            return .respond(200, "{}")
        }
        defer { supplier.stop() }
        let env = Self.env(
            database.url, ["FULFILLMENT_WEBHOOK_URL": supplier.url.absoluteString, "OUTBOX_CONCURRENCY": "4"])
        let a = try Running(["serve"], env: env)
        let b = try Running(["serve"], env: env)
        defer { for p in [a, b] where p.process.isRunning { kill(p.process.processIdentifier, SIGKILL) } }
        _ = try Self.port(of: a)
        _ = try Self.port(of: b)

        let orders = try Self.paidOrders(pool, 60)
        let started = ContinuousClock.now
        let done = eventually(timeout: .seconds(30)) {
            (try? Self.count(
                pool, "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE kind = 'fulfill' AND status = 'done'"))
                == 60
        }
        #expect(done)
        let elapsed = started.duration(to: .now)
        let keys = supplier.deliveries.compactMap { $0.header("Idempotency-Key") }
        #expect(keys.count == 60, "deliveries: \(keys.count)")
        #expect(Set(keys) == Set(orders.map { "fulfill:\($0)" }))
        #expect(try Self.count(pool, "SELECT count(*)::bigint AS n FROM orders WHERE status = 'confirmed'") == 60)
        #expect(
            try Self.count(
                pool, "SELECT coalesce(max(attempts), 0)::bigint AS n FROM outbox_jobs WHERE kind = 'fulfill'") == 1)
        let instances = try Self.count(
            pool, "SELECT count(DISTINCT locked_by)::bigint AS n FROM outbox_jobs WHERE kind = 'fulfill'")
        #expect(instances >= 1)
        for p in [a, b] { kill(p.process.processIdentifier, SIGTERM) }
        #expect(a.exitStatus(within: .seconds(20)) == 0, "\(a.stderr.suffix(1000))")
        #expect(b.exitStatus(within: .seconds(20)) == 0, "\(b.stderr.suffix(1000))")
        print("two instances: 60 jobs done in \(elapsed), run by \(instances) instance(s), \(keys.count) deliveries")
    }

    @Test("a worker SIGKILLed mid-job: after its lease another process runs the job again and completes it")
    func sigkillMidJob() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let pool = database.pool(max: 2)
        defer { pool.close() }
        let supplier = try Receiver { n, _ in
            n == 0 ? .hang(seconds: 30) : .respond(200, #"{"reference":"AFTER-CRASH"}"#)
        }
        defer { supplier.stop() }
        let env = Self.env(
            database.url,
            [
                "FULFILLMENT_WEBHOOK_URL": supplier.url.absoluteString, "OUTBOX_LEASE_SECONDS": "16",
                "OUTBOX_HTTP_TIMEOUT": "5",
            ])
        let orderID = try #require(try Self.paidOrders(pool, 1).first)
        let first = try Running(["serve"], env: env)
        defer { if first.process.isRunning { kill(first.process.processIdentifier, SIGKILL) } }
        #expect(supplier.waitFor(1, timeout: .seconds(60)), "\(first.stderr.suffix(1000))")
        kill(first.process.processIdentifier, SIGKILL)
        _ = first.exitStatus(within: .seconds(10))
        #expect(
            try Self.count(
                pool, "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE status = 'running' AND attempts = 1") == 1)

        let second = try Running(["serve"], env: env)
        defer { if second.process.isRunning { kill(second.process.processIdentifier, SIGKILL) } }
        let done = eventually(timeout: .seconds(30)) {
            (try? Self.count(
                pool, "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE kind = 'fulfill' AND status = 'done'"))
                == 1
        }
        #expect(done, "\(second.stderr.suffix(2000))")
        #expect(supplier.deliveries.count == 2)
        #expect(supplier.deliveries.allSatisfy { $0.header("Idempotency-Key") == "fulfill:\(orderID)" })
        #expect(
            try Self.count(pool, "SELECT attempts::bigint AS n FROM outbox_jobs WHERE kind = 'fulfill'") == 2)
        #expect(
            try Self.count(
                pool,
                "SELECT count(*)::bigint AS n FROM orders WHERE status = 'confirmed' AND fulfillment_reference = 'AFTER-CRASH'"
            ) == 1)
        // stderr is read by another thread: the line may land a moment after the job's row says done.
        #expect(
            eventually(timeout: .seconds(10)) { second.stderr.contains("\"reclaimed\":\"true\"") },
            "\(second.stderr.suffix(2000))")
        kill(second.process.processIdentifier, SIGTERM)
        #expect(second.exitStatus(within: .seconds(20)) == 0)
    }

    @Test("a full flow's logs (checkout, webhook, fulfillment, Slack, admin) hold no secret; shutdown stops the worker")
    func fullFlowLogs() throws {
        let secretKey = "sk_test_FLOWSECRETKEY_0123456789"
        let webhookSecret = "whsec_FLOWWEBHOOKSECRET_abcdef"
        let adminToken = "admin-FLOWTOKEN-0123456789abcdef"
        let database = try TestDatabase.create(migrated: false)
        defer { database.drop() }
        let sim = StripeSimulator(
            configuration: .init(
                host: "127.0.0.1", port: 0,
                delivery: .init(
                    maxAttempts: 5, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200),
                    maxTotal: .seconds(20), timeout: .seconds(10))))
        try sim.start()
        defer { sim.shutdown() }
        let supplier = try Receiver.always(200, body: #"{"reference":"FLOW-1"}"#)
        let slack = try Receiver(path: "/services/T000/B000/SLACKHOOKSECRETxyz") { _, _ in .respond(200, "\"ok\"") }
        defer {
            supplier.stop()
            slack.stop()
        }
        let p = try Running(
            ["serve"],
            env: Self.env(
                database.url,
                [
                    "STRIPE_SECRET_KEY": secretKey, "STRIPE_WEBHOOK_SECRET": webhookSecret, "ADMIN_TOKEN": adminToken,
                    "STRIPE_API_BASE": sim.baseURL, "FULFILLMENT_WEBHOOK_URL": supplier.url.absoluteString,
                    "NOTIFY_WEBHOOK_URL": slack.url.absoluteString, "LOG_LEVEL": "debug",
                    "PUBLIC_ORIGIN": "http://shop.test", "RECONCILE_INTERVAL": "10",
                ]))
        defer { if p.process.isRunning { kill(p.process.processIdentifier, SIGKILL) } }
        let port = try Self.port(of: p)
        sim.setWebhook(url: URL(string: "http://127.0.0.1:\(port)/api/payments/webhook")!, secrets: [webhookSecret])
        let auth = ("Authorization", "Bearer \(adminToken)")
        let json = ("Content-Type", "application/json")
        let put = try TestHTTPClient.request(
            port: port, method: "PUT", path: "/api/admin/products/sku_flow", headers: [auth, json],
            body: Array(#"{"title":"Flow mug","unitAmount":1500,"currency":"eur","active":true,"stock":null}"#.utf8))
        #expect(put.status == 200, "\(put.text)")
        let created = try TestHTTPClient.request(
            port: port, method: "POST", path: "/api/payments/create-checkout-session", headers: [json],
            body: Array(#"{"items":[{"productId":"sku_flow","quantity":1}],"customerEmail":"flow@shop.test"}"#.utf8))
        #expect(created.status == 201, "\(created.text)")
        let session = try #require(try created.json()["id"] as? String)
        let orderID = try #require(try created.json()["orderId"] as? String)
        _ = try sim.pay(sessionID: session)
        let confirmed = eventually(timeout: .seconds(30)) {
            let r = try? TestHTTPClient.request(
                port: port, method: "GET", path: "/api/admin/orders/\(orderID)", headers: [auth])
            return (try? r?.json()["status"] as? String) == "confirmed"
        }
        #expect(confirmed, "\(p.stderr.suffix(2000))")
        #expect(slack.waitFor(1))
        #expect((slack.deliveries.first?.json["text"] as? String)?.contains("confirmed") == true)
        #expect(try TestHTTPClient.request(port: port, method: "GET", path: "/metrics").status == 200)
        kill(p.process.processIdentifier, SIGTERM)
        #expect(p.exitStatus(within: .seconds(30)) == 0, "\(p.stderr.suffix(2000))")

        let log = p.stderr
        for line in log.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
        }
        for secret in [secretKey, webhookSecret, adminToken, "SLACKHOOKSECRETxyz", "FLOWSECRETKEY", "FLOWTOKEN"] {
            #expect(!log.contains(secret), "log contains \(secret)")
        }
        #expect(!log.contains("\"livemode\""), "a webhook body was logged")
        #expect(!log.contains("flow@shop.test"))
        #expect(log.contains("\"msg\":\"outbox job done\""))
        #expect(log.contains("\"kind\":\"fulfill\"") && log.contains("\"kind\":\"notify\""))
        #expect(log.contains("\"msg\":\"outbox worker stopped\""))
        #expect(log.contains("\"msg\":\"stopped\""))
    }

    @Test("checkoutd reconcile repairs an order whose completed webhook was never delivered and prints it")
    func reconcileCommand() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_rc", amount: 700)
        s.sim.holdDeliveries()
        let (session, orderID) = try s.createdCheckout([("sku_rc", 3)])
        _ = try s.sim.pay(sessionID: session)
        let number = try #require(try s.adminOrder(orderID)["orderNumber"] as? String)
        #expect(try s.adminOrder(orderID)["status"] as? String == "pending_payment")

        let env = CheckoutdProcessTests.env([
            "DATABASE_URL": s.app.database.url, "STRIPE_API_BASE": s.sim.baseURL,
            "STRIPE_SECRET_KEY": AppHarness.stripeKey, "RECONCILE_STALE_AFTER": "0", "LOG_FORMAT": "json",
        ])
        let run = try Running(["reconcile"], env: env)
        #expect(run.exitStatus(within: .seconds(60)) == 0, "\(run.stderr)")
        let out = run.stdout
        #expect(out.hasPrefix("reconcile: checked 1 pending order(s), 1 change(s), 0 error(s)"), "\(out)")
        #expect(
            out.contains(
                "\(number) \(orderID) session_synced: pending_payment/pending/not_attempted → paid/paid/pending"),
            "\(out)")
        #expect(try s.adminOrder(orderID)["paymentStatus"] as? String == "paid")
        #expect(!run.stderr.contains(AppHarness.stripeKey))

        let again = try Running(["reconcile", "--json"], env: env)
        #expect(again.exitStatus(within: .seconds(60)) == 0, "\(again.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any], "\(again.stdout)")
        #expect((report["changes"] as? [Any])?.isEmpty == true)
        #expect(report["skipped"] as? Bool == false)
    }

    @Test("checkoutd reconcile with Stripe unreachable: the order is listed as an error, nothing changes, exit 1")
    func reconcileStripeDown() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let pool = database.pool(max: 1)
        defer { pool.close() }
        let id = UUID().uuidString.lowercased()
        try pool.transaction { db in
            try db.execute(
                """
                INSERT INTO orders (id, order_number, currency, amount_total, checkout_session_id, created_at)
                VALUES ($1::uuid, next_order_number('R'), 'eur', 100, 'cs_test_unreachable', now() - interval '1 hour')
                """, [id])
            try db.execute(
                "INSERT INTO checkout_sessions (id, order_id, attempt) VALUES ('cs_test_unreachable', $1::uuid, 1)",
                [id])
        }
        let run = try Running(
            ["reconcile"],
            env: CheckoutdProcessTests.env([
                "DATABASE_URL": database.url, "STRIPE_API_BASE": "http://127.0.0.1:9", "LOG_FORMAT": "json",
            ]))
        #expect(run.exitStatus(within: .seconds(60)) == 1, "\(run.stderr)")
        #expect(
            run.stdout.hasPrefix("reconcile: checked 0 pending order(s), 0 change(s), 1 error(s)"), "\(run.stdout)")
        #expect(run.stdout.contains("error: order \(id): Stripe: unavailable"), "\(run.stdout)")
        #expect(
            try Self.count(pool, "SELECT count(*)::bigint AS n FROM orders WHERE status = 'pending_payment'") == 1)
    }
}
