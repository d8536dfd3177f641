import Foundation

/// The order as an operator sees it (docs/API.md §4): the public order plus payment details, flags and,
/// in the detail view, its sessions, payments ledger, stock reservations, Stripe events and history.
///
/// In `GET /api/admin/orders` lists the `sessions`, `payments`, `reservations`, `events` and `history`
/// keys are left out (they are only loaded for `GET /api/admin/orders/:id`). Adds `attentionReason`,
/// `payments` and `reservations` to docs/API.md's fields.
public struct AdminOrder: Sendable, Equatable, Encodable {
    /// One Checkout Session the order had.
    public struct Session: Sendable, Equatable, Encodable {
        public var id: String
        public var status: String
        public var createdAt: String
    }

    /// One row of the payments ledger: a Stripe payment (by PaymentIntent, or session) or the manual one.
    public struct PaymentEntry: Sendable, Equatable, Encodable {
        public var kind: String
        public var paymentIntentId: String?
        public var sessionId: String?
        public var amount: Int64
        public var currency: String
        public var amountRefunded: Int64
        public var status: String
        public var createdAt: String
        public var updatedAt: String
    }

    /// One stock reservation: `reserved` while unpaid, `committed` once sold, `released` given back.
    public struct ReservationEntry: Sendable, Equatable, Encodable {
        public var productId: String
        public var quantity: Int
        public var status: String
        /// True when the units were taken from a limited count (only those are ever given back).
        public var limited: Bool
        public var createdAt: String
        public var updatedAt: String
    }

    /// One Stripe event recorded for the order, with what it did.
    public struct Event: Sendable, Equatable, Encodable {
        public var id: String
        public var type: String
        public var stripeCreatedAt: String
        public var receivedAt: String
        public var result: String
        public var detail: String?
    }

    /// One history row.
    public struct HistoryEntry: Sendable, Equatable, Encodable {
        public var at: String
        public var status: String
        public var paymentStatus: String
        public var fulfillmentStatus: String
        public var reason: String
        public var actor: String
    }

    public var order: PublicOrder
    public var customerId: String?
    public var metadata: [String: String]
    public var paymentIntentId: String?
    public var amountReceived: Int64
    public var amountRefunded: Int64
    public var fulfillmentReference: String?
    public var fulfillmentError: String?
    public var needsAttention: Bool
    public var attentionReason: String?
    /// nil in list views.
    public var sessions: [Session]?
    public var payments: [PaymentEntry]?
    public var reservations: [ReservationEntry]?
    public var events: [Event]?
    public var history: [HistoryEntry]?
    /// Detail view only (`AdminOrder+Refunds.swift`): the ledgers after the payment.
    public var refunds: [RefundEntryView]?
    public var disputes: [DisputeEntryView]?
    public var fraudWarnings: [FraudWarningEntryView]?
    public var refundStatus: String?
    public var disputeStatus: String?

    init(
        _ record: OrderRecord, items: [OrderItemRecord], sessions: [CheckoutSessionRecord]? = nil,
        payments: [PaymentRecord]? = nil, reservations: [StockReservationRecord]? = nil,
        events: [StripeEventRecord]? = nil, history: [OrderHistoryRecord]? = nil
    ) {
        order = PublicOrder(record, items: items)
        customerId = record.customerID
        metadata = record.metadata
        paymentIntentId = record.state.paymentIntentID
        amountReceived = record.state.amountReceived
        amountRefunded = record.state.amountRefunded
        fulfillmentReference = record.state.fulfillmentReference
        fulfillmentError = record.state.fulfillmentError
        needsAttention = record.state.needsAttention
        attentionReason = record.state.attentionReason
        self.sessions = sessions?.map { Session(id: $0.id, status: $0.status, createdAt: ISO8601.string($0.createdAt)) }
        self.payments = payments?.map {
            PaymentEntry(
                kind: $0.kind, paymentIntentId: $0.paymentIntentID, sessionId: $0.sessionID, amount: $0.amount,
                currency: $0.currency, amountRefunded: $0.amountRefunded, status: $0.status,
                createdAt: ISO8601.string($0.createdAt), updatedAt: ISO8601.string($0.updatedAt))
        }
        self.reservations = reservations?.map {
            ReservationEntry(
                productId: $0.productID, quantity: $0.quantity, status: $0.status, limited: $0.limited,
                createdAt: ISO8601.string($0.createdAt), updatedAt: ISO8601.string($0.updatedAt))
        }
        self.events = events?.map {
            Event(
                id: $0.id, type: $0.type, stripeCreatedAt: ISO8601.string($0.stripeCreatedAt),
                receivedAt: ISO8601.string($0.receivedAt), result: $0.result, detail: $0.detail)
        }
        self.history = history?.map {
            HistoryEntry(
                at: ISO8601.string($0.at), status: $0.status, paymentStatus: $0.paymentStatus,
                fulfillmentStatus: $0.fulfillmentStatus, reason: $0.reason, actor: $0.actor)
        }
    }

    enum CodingKeys: String, CodingKey {
        case customerId, metadata, paymentIntentId, amountReceived, amountRefunded, fulfillmentReference
        case fulfillmentError, needsAttention, attentionReason, sessions, payments, reservations, events, history
        case refunds, disputes, fraudWarnings, refundStatus, disputeStatus
    }

    /// Encodes docs/API.md's JSON shape (absent values as explicit `null`).
    public func encode(to encoder: any Encoder) throws {
        try order.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(customerId, forKey: .customerId)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(paymentIntentId, forKey: .paymentIntentId)
        try c.encode(amountReceived, forKey: .amountReceived)
        try c.encode(amountRefunded, forKey: .amountRefunded)
        try c.encode(fulfillmentReference, forKey: .fulfillmentReference)
        try c.encode(fulfillmentError, forKey: .fulfillmentError)
        try c.encode(needsAttention, forKey: .needsAttention)
        try c.encode(attentionReason, forKey: .attentionReason)
        try c.encodeIfPresent(sessions, forKey: .sessions)
        try c.encodeIfPresent(payments, forKey: .payments)
        try c.encodeIfPresent(reservations, forKey: .reservations)
        try c.encodeIfPresent(events, forKey: .events)
        try c.encodeIfPresent(history, forKey: .history)
        try c.encodeIfPresent(refundStatus, forKey: .refundStatus)
        try c.encodeIfPresent(disputeStatus, forKey: .disputeStatus)
        try c.encodeIfPresent(refunds, forKey: .refunds)
        try c.encodeIfPresent(disputes, forKey: .disputes)
        try c.encodeIfPresent(fraudWarnings, forKey: .fraudWarnings)
    }
}
