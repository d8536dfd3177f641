import Checkout
import Foundation
import Postgres
import StripeSimulator
import Testing
import TestSupport

/// Customer e-mail end to end against a real SMTP server process (aiosmtpd: STARTTLS or implicit TLS,
/// AUTH required), with two `checkoutd` processes sharing the outbox: one message per kind arrives once.
@Suite("customer e-mail")
struct CustomerMailTests {
    typealias Running = CheckoutdProcessTests.Running
    static let user = "shop-mailer"
    static let password = "SMTPPASSWORD-s3cr3t-0123"
    static let webhookSecret = "whsec_mailtests_0123456789"

    /// The venv `make test` prepared (scripts/mail-venv.sh); a missing one fails the test loudly.
    static var python: String {
        ProcessInfo.processInfo.environment["CHECKOUT_MAIL_PYTHON"]
            ?? TestEnvironment.repoRoot.appendingPathComponent(".local/mail-venv/bin/python").path
    }

    static func smtpServer(_ mode: String) throws -> ScriptServer {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw StackError("no mail venv at \(python): run the tests with `make test` (scripts/mail-venv.sh)")
        }
        return try ScriptServer(
            python: python, script: "tests/mail/smtp_server.py", arguments: [".", mode, user, password])
    }

    static func simulator() throws -> StripeSimulator {
        let sim = StripeSimulator(
            configuration: .init(
                host: "127.0.0.1", port: 0,
                delivery: .init(
                    maxAttempts: 5, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200),
                    maxTotal: .seconds(20), timeout: .seconds(10))))
        try sim.start()
        return sim
    }

    static func env(_ database: String, sim: StripeSimulator, smtp: ScriptServer, scheme: String = "smtp")
        -> [String: String]
    {
        OutboxProcessTests.env(
            database,
            [
                "STRIPE_API_BASE": sim.baseURL, "STRIPE_WEBHOOK_SECRET": webhookSecret,
                "ADMIN_TOKEN": AppHarness.adminToken, "PUBLIC_ORIGIN": "http://shop.test",
                "SMTP_URL": "\(scheme)://\(user):\(password)@127.0.0.1:\(smtp.port)",
                "SMTP_CA_FILE": smtp.directory.appendingPathComponent("cert.pem").path,
                "MAIL_FROM": "Demo Shop <orders@shop.test>", "OUTBOX_CONCURRENCY": "4", "LOG_LEVEL": "debug",
            ])
    }

    struct Client {
        let port: Int
        func send(_ method: String, _ path: String, _ body: String? = nil) throws -> TestHTTPResponse {
            var headers = [("Authorization", "Bearer \(AppHarness.adminToken)")]
            if body != nil { headers.append(("Content-Type", "application/json")) }
            return try TestHTTPClient.request(
                port: port, method: method, path: path, headers: headers, body: Array((body ?? "").utf8))
        }
        func checkout(_ product: String, email: String) throws -> (session: String, order: String) {
            let r = try send(
                "POST", "/api/payments/create-checkout-session",
                #"{"items":[{"productId":"\#(product)","quantity":2}],"customerEmail":"\#(email)"}"#)
            let json = try r.json()
            guard r.status == 201, let s = json["id"] as? String, let o = json["orderId"] as? String else {
                throw StackError("create: \(r.status) \(r.text)")
            }
            return (s, o)
        }
        func order(_ id: String) throws -> [String: Any] { try send("GET", "/api/admin/orders/\(id)").json() }
        func waitFor(_ id: String, _ status: String) throws {
            var last: [String: Any] = [:]
            let ok = eventually(timeout: .seconds(30)) {
                last = (try? order(id)) ?? [:]
                return last["status"] as? String == status
            }
            guard ok else { throw StackError("order \(id) never became \(status): \(last)") }
        }
    }

    @Test("one e-mail per kind, each received exactly once, with two instances sharing the outbox (STARTTLS + AUTH)")
    func everyKindOnceAcrossTwoInstances() throws {
        let smtp = try Self.smtpServer("starttls")
        defer { smtp.stop() }
        let sim = try Self.simulator()
        defer { sim.shutdown() }
        let database = try TestDatabase.create()
        defer { database.drop() }
        let pool = database.pool(max: 2)
        defer { pool.close() }
        let env = Self.env(database.url, sim: sim, smtp: smtp)
        let a = try Running(["serve"], env: env)
        let b = try Running(["serve"], env: env)
        defer { for p in [a, b] where p.process.isRunning { kill(p.process.processIdentifier, SIGKILL) } }
        let portA = try OutboxProcessTests.port(of: a)
        let portB = try OutboxProcessTests.port(of: b)
        sim.setWebhook(
            url: URL(string: "http://127.0.0.1:\(portA)/api/payments/webhook")!, secrets: [Self.webhookSecret])
        let client = Client(port: portB)
        let put = try client.send(
            "PUT", "/api/admin/products/mug",
            #"{"title":"Mug <b>\"Ocean\" & co</b>","unitAmount":1250,"currency":"eur","active":true,"stock":null}"#)
        #expect(put.status == 200, "\(put.text)")

        let paid = try client.checkout("mug", email: "paid@customer.test")
        _ = try sim.pay(sessionID: paid.session)
        let declined = try client.checkout("mug", email: "declined@customer.test")
        _ = try sim.decline(sessionID: declined.session)
        let expired = try client.checkout("mug", email: "expired@customer.test")
        _ = try sim.expire(sessionID: expired.session)
        let refunded = try client.checkout("mug", email: "refunded@customer.test")
        _ = try sim.pay(sessionID: refunded.session)
        try client.waitFor(refunded.order, "confirmed")
        _ = try sim.refund(sessionID: refunded.session, amount: 1000)
        try client.waitFor(paid.order, "confirmed")
        try client.waitFor(declined.order, "failed")
        try client.waitFor(expired.order, "expired")
        // No subscription input emits a renewal failure yet: it is recorded the way one will, with its job.
        let renewal = try client.checkout("mug", email: "renewal@customer.test")
        try pool.transaction { db in
            try CustomerMessageStore().record(
                db, orderID: try #require(UUID(uuidString: renewal.order)), kind: .renewalFailed, key: "in_test_1")
        }

        // paid + refunded order: order_paid twice, failed, expired, refund, renewal = 6 messages.
        let allSent = eventually(timeout: .seconds(60)) {
            (try? pool.withConnection { db in
                try db.query("SELECT count(*)::bigint AS n FROM customer_messages WHERE status = 'sent'")[0]
                    .decode("n", as: Int64.self)
            }) == 6
        }
        #expect(allSent, "\(a.stderr.suffix(1500))\n\(b.stderr.suffix(1500))")
        let received = smtp.jsonLines("messages.jsonl")
        #expect(received.count == 6, "\(received.map { $0["subject"] ?? "" })")
        #expect(Set(received.compactMap { $0["messageId"] as? String }).count == 6)
        #expect(received.allSatisfy { $0["tls"] as? Bool == true && $0["login"] as? String == Self.user })
        #expect(received.allSatisfy { $0["mailFrom"] as? String == "orders@shop.test" })
        func mail(to address: String, _ subject: String) -> [String: Any]? {
            received.first {
                ($0["rcptTos"] as? [String]) == [address] && ($0["subject"] as? String)?.contains(subject) == true
            }
        }
        let confirmation = try #require(mail(to: "paid@customer.test", "confirmed"))
        let paidNumber = try client.order(paid.order)["orderNumber"] as? String ?? "?"
        #expect((confirmation["subject"] as? String) == "Demo Shop: order \(paidNumber) confirmed")
        let text = try #require(confirmation["text"] as? String)
        let html = try #require(confirmation["html"] as? String)
        #expect(text.contains("2 × Mug <b>\"Ocean\" & co</b>") && text.contains("25.00 EUR"))
        #expect(html.contains("Mug &lt;b&gt;&quot;Ocean&quot; &amp; co&lt;/b&gt;") && !html.contains("<b>\"Ocean"))
        let failed = try #require(mail(to: "declined@customer.test", "did not go through"))
        #expect(
            (failed["text"] as? String)?.contains("http://shop.test/checkout/cancel?order_id=\(declined.order)") == true
        )
        #expect(
            (failed["html"] as? String)?.contains(
                "href=\"http://shop.test/checkout/cancel?order_id=\(declined.order)\"") == true)
        #expect(mail(to: "expired@customer.test", "expired")?["text"] as? String != nil)
        #expect((mail(to: "refunded@customer.test", "refund")?["text"] as? String)?.contains("10.00 EUR") == true)
        #expect(mail(to: "refunded@customer.test", "confirmed") != nil)
        #expect(mail(to: "renewal@customer.test", "renewal") != nil)

        // The admin order shows its messages; both instances worked the outbox; nothing logged the password.
        let messages = try #require(try client.order(paid.order)["customerMessages"] as? [[String: Any]])
        #expect(messages.map { $0["kind"] as? String } == ["order_paid"])
        #expect(messages.first?["status"] as? String == "sent" && messages.first?["smtpCode"] as? Int == 250)
        let workers = try pool.withConnection { db in
            try db.query("SELECT count(DISTINCT locked_by)::bigint AS n FROM outbox_jobs WHERE kind = 'mail'")[0]
                .decode("n", as: Int64.self)
        }
        print("customer e-mail: 6 messages sent by \(workers) instance(s)")
        // Replaying every Stripe event changes nothing: no message is recorded or sent twice.
        for event in sim.events() { try sim.resend(eventID: event.id) }
        #expect(sim.waitForDeliveries(timeout: .seconds(30)))
        let recorded = try pool.withConnection { db in
            try db.query("SELECT count(*)::bigint AS n FROM customer_messages")[0].decode("n", as: Int64.self)
        }
        #expect(recorded == 6)
        for p in [a, b] { kill(p.process.processIdentifier, SIGTERM) }
        #expect(a.exitStatus(within: .seconds(20)) == 0)
        #expect(b.exitStatus(within: .seconds(20)) == 0)
        for log in [a.stderr, b.stderr] {
            #expect(!log.contains(Self.password))
            #expect(!log.contains("paid@customer.test"))
        }
        #expect(smtp.jsonLines("messages.jsonl").count == 6)
    }

    @Test("smtps (implicit TLS): 4xx is retried until accepted, 5xx is given up at once and shown on the admin order")
    func temporaryAndPermanentFailures() throws {
        let smtp = try Self.smtpServer("tls")
        defer { smtp.stop() }
        let sim = try Self.simulator()
        defer { sim.shutdown() }
        let database = try TestDatabase.create()
        defer { database.drop() }
        let pool = database.pool(max: 2)
        defer { pool.close() }
        let a = try Running(["serve"], env: Self.env(database.url, sim: sim, smtp: smtp, scheme: "smtps"))
        defer { if a.process.isRunning { kill(a.process.processIdentifier, SIGKILL) } }
        let port = try OutboxProcessTests.port(of: a)
        sim.setWebhook(
            url: URL(string: "http://127.0.0.1:\(port)/api/payments/webhook")!, secrets: [Self.webhookSecret])
        let client = Client(port: port)
        _ = try client.send(
            "PUT", "/api/admin/products/cup",
            #"{"title":"Cup","unitAmount":500,"currency":"eur","active":true,"stock":null}"#)
        let later = try client.checkout("cup", email: "tempfail-2@customer.test")
        _ = try sim.pay(sessionID: later.session)
        let never = try client.checkout("cup", email: "reject@customer.test")
        _ = try sim.pay(sessionID: never.session)

        var rejected: [String: Any] = [:]
        let gaveUp = eventually(timeout: .seconds(30)) {
            rejected = ((try? client.order(never.order)["customerMessages"] as? [[String: Any]])?.first) ?? [:]
            return rejected["status"] as? String == "failed"
        }
        #expect(gaveUp, "\(rejected)")
        #expect(rejected["smtpCode"] as? Int == 550)
        #expect(rejected["attempts"] as? Int == 1)
        #expect((rejected["lastError"] as? String)?.contains("550") == true)
        var retried: [String: Any] = [:]
        let sent = eventually(timeout: .seconds(30)) {
            retried = ((try? client.order(later.order)["customerMessages"] as? [[String: Any]])?.first) ?? [:]
            return retried["status"] as? String == "sent"
        }
        #expect(sent, "\(retried)")
        #expect(retried["attempts"] as? Int == 3)
        let received = smtp.jsonLines("messages.jsonl")
        #expect(received.count == 1)
        #expect(received.first?["tls"] as? Bool == true && received.first?["login"] as? String == Self.user)
        kill(a.process.processIdentifier, SIGTERM)
        #expect(a.exitStatus(within: .seconds(20)) == 0)
        #expect(!a.stderr.contains(Self.password))
    }
}
