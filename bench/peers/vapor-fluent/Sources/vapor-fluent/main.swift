// Vapor 4 + Fluent peer for `make bench`: GET /api/orders/by-session/:id with the same JSON body as
// checkoutd (camelCase keys, explicit nulls, ISO 8601 times with milliseconds), from the same two
// statements on one pooled connection, with DB_POOL_SIZE connections in all (Fluent pools per event
// loop: DB_POOL_SIZE / event loops each). Fluent's SQL layer sends each statement unnamed (parse, bind,
// execute every time); that is how a Fluent app talks to Postgres, so the peer keeps it.
// Environment: DATABASE_URL (postgres://user@host:port/db), DB_POOL_SIZE (8), PORT (8083).
import Fluent
import FluentPostgresDriver
import Foundation
import SQLKit
import Vapor

/// The columns checkoutd's public order uses, from the same statement (OrderStore columns + WHERE).
struct OrderRow: Decodable {
    var id: UUID
    var order_number, status, payment_status, fulfillment_status, currency: String
    var amount_total: Int64
    var customer_email, checkout_session_id, failure_reason: String?
    var created_at, updated_at: Date
}

struct ItemRow: Decodable {
    var line_no: Int32
    var product_id, title: String
    var unit_amount: Int64
    var quantity: Int32
    var amount_total: Int64
}

struct Item: Content {
    var productId: String
    var title: String
    var unitAmount: Int64
    var quantity: Int
    var amountTotal: Int64
}

/// The public order JSON (same keys, order and nulls as checkoutd's PublicOrder).
struct PublicOrder: Content {
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

/// The order statement of checkoutd (OrderStore columns + by-session WHERE), with the session id bound
/// twice ($1, $2) because SQLKit numbers each interpolated bind.
func orderQuery(_ sessionID: String) -> SQLQueryString {
    """
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
    WHERE id = (SELECT order_id FROM checkout_sessions WHERE id = \(bind: sessionID)
                UNION ALL SELECT id FROM orders WHERE checkout_session_id = \(bind: sessionID) LIMIT 1)
    """
}

func itemsQuery(_ orderID: UUID) -> SQLQueryString {
    """
    SELECT line_no, product_id, title, unit_amount, quantity, amount_total
    FROM order_items WHERE order_id = \(bind: orderID) ORDER BY line_no
    """
}

let env = ProcessInfo.processInfo.environment
var environment = Environment.production
try LoggingSystem.bootstrap(from: &environment)
let app = try await Application.make(environment)
let pool = Int(env["DB_POOL_SIZE"] ?? "") ?? 8
let loops = System.coreCount
app.databases.use(
    try .postgres(url: env["DATABASE_URL"] ?? "", maxConnectionsPerEventLoop: max(1, pool / loops)), as: .psql)
app.http.server.configuration.hostname = "127.0.0.1"
app.http.server.configuration.port = Int(env["PORT"] ?? "") ?? 8083
let iso = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

app.get("api", "orders", "by-session", ":sessionId") { req async throws -> PublicOrder in
    let sessionID = req.parameters.get("sessionId") ?? ""
    return try await req.db.withConnection { db in
        let sql = db as! any SQLDatabase
        guard
            let order = try await sql.raw(orderQuery(sessionID)).first(decoding: OrderRow.self)
        else { throw Abort(.notFound, reason: "No such order.") }
        let items = try await sql.raw(itemsQuery(order.id)).all(decoding: ItemRow.self)
        return PublicOrder(
            id: order.id.uuidString.lowercased(), orderNumber: order.order_number, status: order.status,
            paymentStatus: order.payment_status, fulfillmentStatus: order.fulfillment_status,
            currency: order.currency, amountTotal: order.amount_total,
            items: items.map {
                Item(
                    productId: $0.product_id, title: $0.title, unitAmount: $0.unit_amount, quantity: Int($0.quantity),
                    amountTotal: $0.amount_total)
            },
            customerEmail: order.customer_email, checkoutSessionId: order.checkout_session_id,
            failureReason: order.failure_reason, createdAt: order.created_at.formatted(iso),
            updatedAt: order.updated_at.formatted(iso))
    }
}
try await app.execute()
try await app.asyncShutdown()
