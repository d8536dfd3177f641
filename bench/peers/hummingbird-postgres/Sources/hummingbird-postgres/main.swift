// Hummingbird 2 + postgres-nio peer for `make bench`: GET /api/orders/by-session/:id with the same
// JSON body as checkoutd (camelCase keys, explicit nulls, ISO 8601 times with milliseconds), from the
// same two statements (prepared, on one pooled connection), with a pool of DB_POOL_SIZE connections.
// Environment: DATABASE_URL (postgres://user@host:port/db), DB_POOL_SIZE (8), PORT (8082).
// The usual way a team would write it: Codable response, PostgresClient, prepared statements.
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// The order lookup checkoutd runs (Sources/Checkout/Orders/OrderStore.swift: columns + by-session WHERE).
struct OrderBySession: PostgresPreparedStatement {
    static let sql = """
        SELECT id, order_number, status, payment_status, fulfillment_status, currency, amount_total, customer_email,
            customer_id, metadata, checkout_session_id, session_attempt, session_checked_at, payment_intent_id,
            amount_received, amount_refunded, failure_reason, fulfillment_error, fulfillment_reference, stock_reserved,
            needs_attention, attention_reason, created_at, updated_at,
            (extract(epoch FROM created_at) * 1000000)::bigint AS created_us,
            coalesce((SELECT string_agg(s.id, ' ') FROM checkout_sessions s WHERE s.order_id = orders.id), '')
                AS session_ids,
            coalesce((SELECT string_agg(s.payment_intent_id, ' ') FROM checkout_sessions s
                      WHERE s.order_id = orders.id AND s.payment_intent_id IS NOT NULL
                        AND s.id IS DISTINCT FROM orders.checkout_session_id), '') AS retired_payment_intents
        FROM orders
        WHERE id = (SELECT order_id FROM checkout_sessions WHERE id = $1
                    UNION ALL SELECT id FROM orders WHERE checkout_session_id = $1 LIMIT 1)
        """
    typealias Row = OrderRow
    var sessionID: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(sessionID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> OrderRow {
        let r = row.makeRandomAccess()
        return OrderRow(
            id: try r["id"].decode(UUID.self), orderNumber: try r["order_number"].decode(String.self),
            status: try r["status"].decode(String.self), paymentStatus: try r["payment_status"].decode(String.self),
            fulfillmentStatus: try r["fulfillment_status"].decode(String.self),
            currency: try r["currency"].decode(String.self), amountTotal: try r["amount_total"].decode(Int64.self),
            customerEmail: try r["customer_email"].decode(String?.self),
            checkoutSessionId: try r["checkout_session_id"].decode(String?.self),
            failureReason: try r["failure_reason"].decode(String?.self),
            createdAt: try r["created_at"].decode(Date.self), updatedAt: try r["updated_at"].decode(Date.self))
    }
}

struct OrderRow: Sendable {
    var id: UUID
    var orderNumber, status, paymentStatus, fulfillmentStatus, currency: String
    var amountTotal: Int64
    var customerEmail, checkoutSessionId, failureReason: String?
    var createdAt, updatedAt: Date
}

/// The order's lines (OrderStore.items).
struct ItemsOfOrder: PostgresPreparedStatement {
    static let sql = """
        SELECT line_no, product_id, title, unit_amount, quantity, amount_total
        FROM order_items WHERE order_id = $1 ORDER BY line_no
        """
    typealias Row = Item
    var orderID: UUID

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(orderID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Item {
        let (_, productId, title, unitAmount, quantity, amountTotal) = try row.decode(
            (Int32, String, String, Int64, Int32, Int64).self)
        return Item(
            productId: productId, title: title, unitAmount: unitAmount, quantity: Int(quantity),
            amountTotal: amountTotal)
    }
}

struct Item: Codable, Sendable {
    var productId: String
    var title: String
    var unitAmount: Int64
    var quantity: Int
    var amountTotal: Int64
}

/// The public order JSON (same keys, order and nulls as checkoutd's PublicOrder).
struct PublicOrder: ResponseEncodable {
    var id: String
    var orderNumber, status, paymentStatus, fulfillmentStatus, currency: String
    var amountTotal: Int64
    var items: [Item]
    var customerEmail, checkoutSessionId, failureReason: String?
    var createdAt, updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, orderNumber, status, paymentStatus, fulfillmentStatus, currency, amountTotal, items, customerEmail
        case checkoutSessionId, failureReason, createdAt, updatedAt
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(orderNumber, forKey: .orderNumber)
        try c.encode(status, forKey: .status)
        try c.encode(paymentStatus, forKey: .paymentStatus)
        try c.encode(fulfillmentStatus, forKey: .fulfillmentStatus)
        try c.encode(currency, forKey: .currency)
        try c.encode(amountTotal, forKey: .amountTotal)
        try c.encode(items, forKey: .items)
        try c.encode(customerEmail, forKey: .customerEmail)
        try c.encode(checkoutSessionId, forKey: .checkoutSessionId)
        try c.encode(failureReason, forKey: .failureReason)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

let env = ProcessInfo.processInfo.environment
guard let url = URLComponents(string: env["DATABASE_URL"] ?? ""), let host = url.host else {
    fatalError("DATABASE_URL (postgres://user@host:port/db) is required")
}
var config = PostgresClient.Configuration(
    host: host, port: url.port ?? 5432, username: url.user ?? "postgres", password: url.password,
    database: String(url.path.dropFirst()), tls: .disable)
config.options.maximumConnections = Int(env["DB_POOL_SIZE"] ?? "") ?? 8
config.options.minimumConnections = config.options.maximumConnections
let client = PostgresClient(configuration: config)
let dbLogger = Logger(label: "db")
let iso = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

let router = Router()
router.get("/api/orders/by-session/:sessionId") { _, context -> PublicOrder in
    let sessionID = context.parameters.get("sessionId") ?? ""
    let found: PublicOrder? = try await client.withConnection { db in
        var first: OrderRow?
        for try await row in try await db.execute(OrderBySession(sessionID: sessionID), logger: dbLogger) {
            first = row
        }
        guard let order = first else { return nil }
        var items: [Item] = []
        for try await item in try await db.execute(ItemsOfOrder(orderID: order.id), logger: dbLogger) {
            items.append(item)
        }
        return PublicOrder(
            id: order.id.uuidString.lowercased(), orderNumber: order.orderNumber, status: order.status,
            paymentStatus: order.paymentStatus, fulfillmentStatus: order.fulfillmentStatus,
            currency: order.currency, amountTotal: order.amountTotal, items: items,
            customerEmail: order.customerEmail, checkoutSessionId: order.checkoutSessionId,
            failureReason: order.failureReason, createdAt: order.createdAt.formatted(iso),
            updatedAt: order.updatedAt.formatted(iso))
    }
    guard let found else { throw HTTPError(.notFound, message: "No such order.") }
    return found
}
let port = Int(env["PORT"] ?? "") ?? 8082
var app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
app.addServices(client)
try await app.runService()
