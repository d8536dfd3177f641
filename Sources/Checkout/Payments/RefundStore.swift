import Foundation
import Postgres

/// All SQL about the ledgers after the payment (`refunds`, `disputes`, `early_fraud_warnings`, migration
/// 010). Parameterized statements only; every method runs on the caller's transaction, under the order's
/// row lock. The deferred trigger `payments_match_refunds` checks at commit that each payment's
/// `amount_refunded` is what these rows say.
public struct RefundStore: Sendable {
    /// Stateless; create freely.
    public init() {}

    /// Reads the order's rows into `state` (oldest first).
    func load(_ db: Connection, orderID: UUID, into state: inout OrderState) throws {
        state.refunds = try db.query(
            """
            SELECT id, payment_intent_id, kind, amount, currency, status, reason, failure_reason, requested_by, note,
                   restock
            FROM refunds WHERE order_id = $1 ORDER BY created_at, id
            """, [orderID]
        ).map { row in
            RefundEntry(
                id: try row.decode("id"), paymentIntentID: try row.decode("payment_intent_id"),
                kind: RefundEntry.Kind(rawValue: try row.decode("kind")) ?? .refund, amount: try row.decode("amount"),
                currency: try row.decode("currency"),
                status: RefundStatus(rawValue: try row.decode("status")) ?? .pending,
                reason: try row.decode("reason"), failureReason: try row.decode("failure_reason"),
                requestedBy: try row.decode("requested_by"), note: try row.decode("note"),
                restock: try row.decode("restock"))
        }
        state.disputes = try db.query(
            """
            SELECT id, payment_intent_id, charge_id, amount, currency, reason, status,
                   extract(epoch FROM evidence_due_by)::bigint AS due_by
            FROM disputes WHERE order_id = $1 ORDER BY created_at, id
            """, [orderID]
        ).map { row in
            DisputeEntry(
                id: try row.decode("id"), paymentIntentID: try row.decode("payment_intent_id"),
                chargeID: try row.decode("charge_id"), amount: try row.decode("amount"),
                currency: try row.decode("currency"), reason: try row.decode("reason"),
                status: try row.decode("status"), evidenceDueBy: try row.decode("due_by"))
        }
        state.fraudWarnings = try db.query(
            """
            SELECT id, payment_intent_id, charge_id, fraud_type, actionable
            FROM early_fraud_warnings WHERE order_id = $1 ORDER BY created_at, id
            """, [orderID]
        ).map { row in
            FraudWarningEntry(
                id: try row.decode("id"), paymentIntentID: try row.decode("payment_intent_id"),
                chargeID: try row.decode("charge_id"), fraudType: try row.decode("fraud_type"),
                actionable: try row.decode("actionable"))
        }
    }

    /// Writes the rows that are new or changed between `before` and `after` (the guards refuse a status
    /// that goes backwards, an amount that changes).
    func save(_ db: Connection, orderID: UUID, before: OrderState, after: OrderState) throws {
        for refund in after.refunds where !before.refunds.contains(refund) {
            try db.execute(
                """
                INSERT INTO refunds (id, order_id, payment_intent_id, kind, amount, currency, status, reason,
                                     failure_reason, requested_by, note, restock)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, status = excluded.status,
                    reason = excluded.reason, failure_reason = excluded.failure_reason,
                    requested_by = excluded.requested_by, note = excluded.note, restock = excluded.restock,
                    updated_at = now()
                """,
                [
                    refund.id, orderID, refund.paymentIntentID, refund.kind.rawValue, refund.amount, refund.currency,
                    refund.status.rawValue, refund.reason, refund.failureReason, refund.requestedBy, refund.note,
                    refund.restock,
                ])
        }
        for dispute in after.disputes where !before.disputes.contains(dispute) {
            try db.execute(
                """
                INSERT INTO disputes (id, order_id, payment_intent_id, charge_id, amount, currency, reason, status,
                                      evidence_due_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9::bigint))
                ON CONFLICT (id) DO UPDATE SET charge_id = excluded.charge_id, amount = excluded.amount,
                    reason = excluded.reason, status = excluded.status, evidence_due_by = excluded.evidence_due_by,
                    updated_at = now()
                """,
                [
                    dispute.id, orderID, dispute.paymentIntentID, dispute.chargeID, dispute.amount, dispute.currency,
                    dispute.reason, dispute.status, dispute.evidenceDueBy,
                ])
        }
        for warning in after.fraudWarnings where !before.fraudWarnings.contains(warning) {
            try db.execute(
                """
                INSERT INTO early_fraud_warnings (id, order_id, payment_intent_id, charge_id, fraud_type, actionable)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (id) DO UPDATE SET actionable = excluded.actionable, updated_at = now()
                """,
                [
                    warning.id, orderID, warning.paymentIntentID, warning.chargeID, warning.fraudType,
                    warning.actionable,
                ])
        }
    }

    /// A refund an admin started here for the same payment, amount (nil: any) and reason within the last `seconds`
    /// (a double submit that arrives after the first one finished), if any.
    func recentAdminRefund(_ db: Connection, paymentIntentID: String, amount: Int64?, reason: String, seconds: Int)
        throws -> String?
    {
        try db.query(
            """
            SELECT id FROM refunds
            WHERE payment_intent_id = $1 AND kind = 'refund' AND requested_by IS NOT NULL
              AND ($2::bigint IS NULL OR amount = $2::bigint)
              AND reason = $3 AND status <> 'failed' AND status <> 'canceled'
              AND created_at > now() - $4::integer * interval '1 second'
            ORDER BY created_at DESC LIMIT 1
            """, [paymentIntentID, amount, reason, seconds]
        ).first?.decode("id", as: String.self)
    }

    /// The order's refunds with their times (admin detail view), oldest first.
    public func refunds(_ db: Connection, orderID: UUID) throws -> [RefundRecord] {
        try db.query(
            """
            SELECT id, payment_intent_id, kind, amount, currency, status, reason, failure_reason, requested_by, note,
                   restock, created_at, updated_at
            FROM refunds WHERE order_id = $1 AND kind = 'refund' ORDER BY created_at, id
            """, [orderID]
        ).map { row in
            RefundRecord(
                id: try row.decode("id"), paymentIntentID: try row.decode("payment_intent_id"),
                amount: try row.decode("amount"), currency: try row.decode("currency"),
                status: try row.decode("status"), reason: try row.decode("reason"),
                failureReason: try row.decode("failure_reason"), requestedBy: try row.decode("requested_by"),
                note: try row.decode("note"), restock: try row.decode("restock"),
                createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
        }
    }

    /// The order's disputes (admin detail view), oldest first.
    public func disputes(_ db: Connection, orderID: UUID) throws -> [DisputeRecord] {
        try db.query(
            """
            SELECT id, payment_intent_id, charge_id, amount, currency, reason, status, evidence_due_by, created_at,
                   updated_at
            FROM disputes WHERE order_id = $1 ORDER BY created_at, id
            """, [orderID]
        ).map { row in
            DisputeRecord(
                id: try row.decode("id"), paymentIntentID: try row.decode("payment_intent_id"),
                chargeID: try row.decode("charge_id"), amount: try row.decode("amount"),
                currency: try row.decode("currency"), reason: try row.decode("reason"),
                status: try row.decode("status"), evidenceDueBy: try row.decode("evidence_due_by"),
                createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
        }
    }

    /// The order's early fraud warnings (admin detail view), oldest first.
    public func fraudWarnings(_ db: Connection, orderID: UUID) throws -> [FraudWarningRecord] {
        try db.query(
            """
            SELECT id, payment_intent_id, charge_id, fraud_type, actionable, created_at
            FROM early_fraud_warnings WHERE order_id = $1 ORDER BY created_at, id
            """, [orderID]
        ).map { row in
            FraudWarningRecord(
                id: try row.decode("id"), paymentIntentID: try row.decode("payment_intent_id"),
                chargeID: try row.decode("charge_id"), fraudType: try row.decode("fraud_type"),
                actionable: try row.decode("actionable"), createdAt: try row.decode("created_at"))
        }
    }
}

/// One refund as the admin detail view shows it.
public struct RefundRecord: Sendable, Equatable {
    public var id: String
    public var paymentIntentID: String
    public var amount: Int64
    public var currency: String
    public var status: String
    public var reason: String?
    public var failureReason: String?
    public var requestedBy: String?
    public var note: String?
    public var restock: Bool
    public var createdAt: Date
    public var updatedAt: Date
}

/// One dispute as the admin detail view shows it.
public struct DisputeRecord: Sendable, Equatable {
    public var id: String
    public var paymentIntentID: String
    public var chargeID: String?
    public var amount: Int64
    public var currency: String
    public var reason: String?
    public var status: String
    public var evidenceDueBy: Date?
    public var createdAt: Date
    public var updatedAt: Date
}

/// One early fraud warning as the admin detail view shows it.
public struct FraudWarningRecord: Sendable, Equatable {
    public var id: String
    public var paymentIntentID: String?
    public var chargeID: String?
    public var fraudType: String?
    public var actionable: Bool
    public var createdAt: Date
}
