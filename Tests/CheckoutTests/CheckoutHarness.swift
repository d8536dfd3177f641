import Foundation
import Logging
import Postgres
import Stripe
import StripeSimulator
import Testing
import TestSupport

@testable import Checkout

/// One isolated world per test: a fresh migrated database, an in-process `StripeSimulator` on its own
/// port (the REAL `StripeClient` talks to it over sockets), and the domain services wired to both.
/// Webhook events are taken from the simulator and fed, signed, to the `WebhookProcessor`.
final class CheckoutHarness: @unchecked Sendable {  // immutable after init; the members are Sendable
    let database: TestDatabase
    let pool: ConnectionPool
    let simulator: StripeSimulator
    let client: StripeClient
    let service: CheckoutService
    let webhooks: WebhookProcessor
    let secret = "whsec_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")

    init(
        configuration: CheckoutConfiguration = CheckoutConfiguration(publicOrigin: "http://shop.test"),
        poolSize: Int = 12, maxRetries: Int = 0, stripeTimeout: Duration = .seconds(5)
    ) throws {
        database = try TestDatabase.create()
        pool = database.pool(max: poolSize)
        simulator = StripeSimulator(configuration: .init(port: 0))
        try simulator.start()
        client = StripeClient(
            secretKey: "sk_test_harness", apiBase: URL(string: simulator.baseURL)!, timeout: stripeTimeout,
            maxRetries: maxRetries)
        var logger = Logger(label: "checkout-tests")
        logger.logLevel = .critical
        service = CheckoutService(pool: pool, gateway: client, configuration: configuration, logger: logger)
        webhooks = WebhookProcessor(pool: pool, verifier: WebhookVerifier(secrets: [secret]), logger: logger)
    }

    deinit {
        simulator.shutdown()
        database.drop()
    }

    // MARK: - Catalog

    @discardableResult
    func product(_ id: String, amount: Int64 = 1250, currency: String = "usd", stock: Int? = nil, active: Bool = true)
        throws -> Product
    {
        try service.upsertProduct(
            Product(
                id: id, title: "Title of \(id)", unitAmount: amount, currency: currency, active: active, stock: stock))
    }

    func stock(_ id: String) throws -> Int? {
        try #require(try service.products(activeOnly: false).first { $0.id == id }).stock
    }

    // MARK: - Checkout

    func checkout(_ items: [(String, Int)], email: String? = "buyer@example.com", key: String? = nil) throws
        -> CheckoutSessionResult
    {
        try service.createCheckoutSession(
            CreateCheckoutRequest(items: items.map { .init(productID: $0.0, quantity: $0.1) }, customerEmail: email),
            idempotencyKey: key)
    }

    /// A checkout that must fail with `stripe_unavailable`: the id of the order it kept (the 503 body's).
    func keptOrderOfUnavailableCheckout(_ items: [(String, Int)]) throws -> UUID {
        do {
            _ = try checkout(items)
        } catch let error as CheckoutError {
            #expect(error.code == "stripe_unavailable")
            return try #require(error.orderID, "stripe_unavailable without the kept order's id")
        }
        Issue.record("expected stripe_unavailable")
        throw CheckoutError.orderNotFound
    }

    // MARK: - Webhooks

    /// Signs the simulator's stored event body with the webhook secret and processes it.
    @discardableResult
    func deliver(_ eventID: String, timestamp: Int64? = nil) throws -> WebhookOutcome {
        let body = try #require(simulator.eventBody(eventID), "simulator has no event \(eventID)")
        let header = stripeSignatureHeader(
            payload: body, secret: secret, timestamp: timestamp ?? Int64(Date().timeIntervalSince1970))
        return try webhooks.process(payload: body, signatureHeader: header)
    }

    /// Delivers the handled events of a control action, in order.
    @discardableResult
    func deliverAll(_ result: SimulatorActionResult) throws -> [WebhookOutcome] {
        try result.events.map { try deliver($0) }
    }

    func eventIDs(_ result: SimulatorActionResult, type: String) -> [String] {
        let types = Dictionary(simulator.events().map { ($0.id, $0.type) }, uniquingKeysWith: { a, _ in a })
        return result.events.filter { types[$0] == type }
    }

    // MARK: - Database inspection

    func order(_ id: UUID) throws -> OrderRecord {
        try #require(try pool.withConnection { db in try OrderStore().order(db, id: id) })
    }

    func count(_ sql: String, _ params: [any PostgresEncodable] = []) throws -> Int {
        try pool.withConnection { db in try db.query(sql, params)[0].decode("n", as: Int.self) }
    }

    /// Applies a command as another component (the outbox worker) would.
    func apply(_ event: OrderEvent, to orderID: UUID, actor: String = "system:test") throws -> OrderDecision {
        try pool.transaction { db in
            let order = try #require(try OrderStore().order(db, id: orderID, forUpdate: true))
            return try OrderTransitions().apply(db, order: order, event: event, actor: actor)
        }
    }
}

/// Results collected from several threads.
final class ResultBox<T>: @unchecked Sendable {  // every access holds `lock`
    let lock = NSLock()
    var results: [Int: T] = [:]
}

/// Runs `body` on `count` real threads released at the same moment; waits (bounded) for all.
func concurrently<T: Sendable>(_ count: Int, timeout: TimeInterval = 60, _ body: @escaping @Sendable (Int) -> T) -> [T]
{
    let box = ResultBox<T>()
    let start = DispatchSemaphore(value: 0)
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            start.wait()
            let value = body(index)
            box.lock.lock()
            box.results[index] = value
            box.lock.unlock()
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    for _ in 0..<count { start.signal() }
    let finished = group.wait(timeout: .now() + timeout)
    #expect(finished == .success, "concurrent workers did not finish within \(timeout)s")
    return box.lock.withLock { (0..<count).compactMap { box.results[$0] } }
}
