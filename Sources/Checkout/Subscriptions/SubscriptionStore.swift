import Foundation
import Postgres

/// All SQL about `subscriptions` and `subscription_invoices` (migration 011). Parameterized statements
/// only; every method runs on the caller's connection and transaction. Rows change only under the
/// subscription row's lock (``lock(_:id:)``), in the transaction that records the Stripe event carrying
/// the change, so each event is applied once and concurrent events of one subscription serialise.
public struct SubscriptionStore: Sendable {
    /// Stateless; create freely.
    public init() {}

    static let columns = """
        id, order_id, customer_id, customer_email, stripe_status, status, current_period_start, current_period_end,
        cancel_at_period_end, canceled_at, snapshot_at, needs_attention, attention_reason, created_at, updated_at
        """

    /// Locks the subscription's row (`FOR UPDATE`), creating an empty one first when it is new (a
    /// concurrent creator waits on the primary key, then both lock the same row).
    func lock(_ db: Connection, id: String) throws -> SubscriptionRecord {
        try db.execute(
            "INSERT INTO subscriptions (id, status) VALUES ($1, 'incomplete') ON CONFLICT (id) DO NOTHING", [id])
        let rows = try db.query("SELECT \(Self.columns) FROM subscriptions WHERE id = $1 FOR UPDATE", [id])
        return try Self.decode(rows[0])
    }

    /// Writes the row as decided (the caller holds its lock).
    func save(_ db: Connection, _ row: SubscriptionRecord) throws {
        try db.execute(
            """
            UPDATE subscriptions SET order_id = $2, customer_id = $3, customer_email = $4, stripe_status = $5,
                status = $6, current_period_start = $7, current_period_end = $8, cancel_at_period_end = $9,
                canceled_at = $10, snapshot_at = $11, needs_attention = $12, attention_reason = $13,
                updated_at = now()
            WHERE id = $1
            """,
            [
                row.id, row.orderID, row.customerID, row.customerEmail, row.stripeStatus, row.status,
                row.currentPeriodStart, row.currentPeriodEnd, row.cancelAtPeriodEnd, row.canceledAt, row.snapshotAt,
                row.needsAttention, row.attentionReason,
            ])
    }

    /// One subscription, or nil.
    public func subscription(_ db: Connection, id: String) throws -> SubscriptionRecord? {
        try db.query("SELECT \(Self.columns) FROM subscriptions WHERE id = $1", [id]).first.map(Self.decode)
    }

    /// The subscription an order started (its checkout order), or nil.
    public func subscription(_ db: Connection, orderID: UUID) throws -> SubscriptionRecord? {
        try db.query(
            "SELECT \(Self.columns) FROM subscriptions WHERE order_id = $1 ORDER BY created_at LIMIT 1", [orderID]
        ).first.map(Self.decode)
    }

    // MARK: - Invoices

    /// The invoice's row, or nil (the caller holds the subscription's lock).
    func invoice(_ db: Connection, id: String) throws -> SubscriptionInvoiceRecord? {
        try db.query(
            """
            SELECT id, subscription_id, status, billing_reason, amount, currency, invoice_created, period_end,
                   failure_count, event_at
            FROM subscription_invoices WHERE id = $1
            """, [id]
        ).first.map(Self.decodeInvoice)
    }

    /// The subscription's newest invoice (by the invoice's own `created`, then the period it bills, then id).
    func newestInvoice(_ db: Connection, subscriptionID: String) throws -> SubscriptionInvoiceRecord? {
        try db.query(
            """
            SELECT id, subscription_id, status, billing_reason, amount, currency, invoice_created, period_end,
                   failure_count, event_at
            FROM subscription_invoices WHERE subscription_id = $1
            ORDER BY invoice_created DESC, period_end DESC NULLS LAST, id DESC LIMIT 1
            """, [subscriptionID]
        ).first.map(Self.decodeInvoice)
    }

    /// Inserts or replaces the invoice's row as decided.
    func saveInvoice(_ db: Connection, _ invoice: SubscriptionInvoiceRecord) throws {
        try db.execute(
            """
            INSERT INTO subscription_invoices (id, subscription_id, status, billing_reason, amount, currency,
                                               invoice_created, failure_count, event_at, period_end)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, billing_reason = EXCLUDED.billing_reason,
                amount = EXCLUDED.amount, failure_count = EXCLUDED.failure_count, event_at = EXCLUDED.event_at,
                updated_at = now()
            """,
            [
                invoice.id, invoice.subscriptionID, invoice.status.rawValue, invoice.billingReason, invoice.amount,
                invoice.currency, invoice.invoiceCreated, invoice.failureCount, invoice.eventAt, invoice.periodEnd,
            ])
    }

    /// Whether an order with this id exists (metadata is a hint: a row never points at a missing order).
    func orderExists(_ db: Connection, id: UUID) throws -> Bool {
        !(try db.query("SELECT 1 FROM orders WHERE id = $1", [id]).isEmpty)
    }

    static func decode(_ row: Row) throws -> SubscriptionRecord {
        SubscriptionRecord(
            id: try row.decode("id"), orderID: try row.decode("order_id"), customerID: try row.decode("customer_id"),
            customerEmail: try row.decode("customer_email"), stripeStatus: try row.decode("stripe_status"),
            status: try row.decode("status"), currentPeriodStart: try row.decode("current_period_start"),
            currentPeriodEnd: try row.decode("current_period_end"),
            cancelAtPeriodEnd: try row.decode("cancel_at_period_end"), canceledAt: try row.decode("canceled_at"),
            snapshotAt: try row.decode("snapshot_at"), needsAttention: try row.decode("needs_attention"),
            attentionReason: try row.decode("attention_reason"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"))
    }

    static func decodeInvoice(_ row: Row) throws -> SubscriptionInvoiceRecord {
        SubscriptionInvoiceRecord(
            id: try row.decode("id"), subscriptionID: try row.decode("subscription_id"),
            status: SubscriptionInvoiceRecord.Status(rawValue: try row.decode("status")) ?? .failed,
            billingReason: try row.decode("billing_reason"), amount: try row.decode("amount"),
            currency: try row.decode("currency"), invoiceCreated: try row.decode("invoice_created"),
            periodEnd: try row.decode("period_end"), failureCount: try row.decode("failure_count"),
            eventAt: try row.decode("event_at"))
    }
}
