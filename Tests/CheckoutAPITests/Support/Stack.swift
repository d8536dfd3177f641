import CheckoutAPI
import Foundation
import Postgres
import Stripe
import StripeSimulator
import Testing
import TestSupport

/// The whole system for end-to-end tests: an in-process `stripe-sim` on port 0 whose webhooks go to
/// the real app (port 0, its own database) over real sockets.
final class Stack: Sendable {
    let sim: StripeSimulator
    let app: AppHarness
    /// A small pool on the app's database for assertions.
    let db: ConnectionPool

    /// Starts the simulator, then the app pointed at it, then points the simulator's webhooks at the app.
    static func start(redactLogs: Bool = true, configure: (inout AppConfig) -> Void = { _ in }) throws -> Stack {
        let sim = StripeSimulator(
            configuration: .init(
                host: "127.0.0.1", port: 0,
                delivery: .init(
                    maxAttempts: 5, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200),
                    maxTotal: .seconds(20), timeout: .seconds(10))))
        try sim.start()
        do {
            let app = try AppHarness.start(redactLogs: redactLogs) { config in
                config.stripeAPIBase = URL(string: sim.baseURL)!
                configure(&config)
            }
            sim.setWebhook(
                url: URL(string: "http://127.0.0.1:\(app.port)/api/payments/webhook")!,
                secrets: [AppHarness.webhookSecret])
            return Stack(sim: sim, app: app)
        } catch {
            sim.shutdown()
            throw error
        }
    }

    private init(sim: StripeSimulator, app: AppHarness) {
        self.sim = sim
        self.app = app
        self.db = app.database.pool(max: 2)
    }

    func stop() {
        app.stop()
        sim.shutdown()
    }

    // MARK: Helpers

    /// Creates or replaces a product through the admin API.
    func product(_ id: String, amount: Int64, currency: String = "eur", stock: Int? = nil, active: Bool = true) throws {
        var body: [String: Any] = [
            "title": "Product \(id)", "unitAmount": amount, "currency": currency, "active": active,
        ]
        body["stock"] = stock.map { $0 as Any } ?? NSNull()
        let r = try app.admin("PUT", "/api/admin/products/\(id)", json: body)
        guard r.status == 200 else { throw StackError("PUT product \(id): \(r.status) \(r.text)") }
    }

    /// POST create-checkout-session with `items` as [(productId, quantity)].
    func checkout(_ items: [(String, Int)], email: String? = nil, headers: [(String, String)] = []) throws
        -> TestHTTPResponse
    {
        var body: [String: Any] = ["items": items.map { ["productId": $0.0, "quantity": $0.1] }]
        if let email { body["customerEmail"] = email }
        return try app.json("POST", "/api/payments/create-checkout-session", body, headers: headers)
    }

    /// A created checkout's (sessionId, orderId); fails the test when creation did not answer 201.
    func createdCheckout(_ items: [(String, Int)]) throws -> (session: String, order: String) {
        let r = try checkout(items)
        guard r.status == 201, let json = try? r.json(), let s = json["id"] as? String,
            let o = json["orderId"] as? String
        else { throw StackError("create-checkout-session: \(r.status) \(r.text)") }
        return (s, o)
    }

    /// The public order by session id.
    func order(session: String) throws -> [String: Any] {
        try app.request("GET", "/api/orders/by-session/\(session)").json()
    }

    /// The admin order by id.
    func adminOrder(_ id: String) throws -> [String: Any] {
        try app.admin("GET", "/api/admin/orders/\(id)").json()
    }

    /// Waits (bounded) until the admin order satisfies `condition`; returns the last order seen.
    @discardableResult
    func waitForOrder(
        _ id: String, timeout: Duration = .seconds(15), _ what: String, _ condition: ([String: Any]) -> Bool
    ) throws -> [String: Any] {
        var last: [String: Any] = [:]
        let ok = try eventually(timeout: timeout) {
            last = try adminOrder(id)
            return condition(last)
        }
        guard ok else { throw StackError("order \(id) never became \(what); last: \(last)") }
        return last
    }

    /// Waits until every listed simulator event has been delivered (all its copies answered).
    func waitDelivered(_ eventIDs: [String], timeout: Duration = .seconds(15)) throws {
        let ok = eventually(timeout: timeout) {
            let events = sim.events().filter { eventIDs.contains($0.id) }
            return events.count == eventIDs.count && events.allSatisfy { $0.deliveryStatus == "delivered" }
        }
        guard ok else {
            throw StackError("events not delivered: \(sim.events().filter { eventIDs.contains($0.id) })")
        }
    }

    /// One integer from the app's database.
    func count(_ sql: String, _ params: [any PostgresEncodable] = []) throws -> Int64 {
        try db.withConnection { db in
            try db.query(sql, params).first?.decode("n", as: Int64.self) ?? -1
        }
    }
}

struct StackError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
