import Foundation

/// The subscription an order belongs to, as the storefront sees it (in the by-session lookup): its
/// status and when it renews next. `{"id","status","currentPeriodEnd","cancelAtPeriodEnd","nextRenewalAt"}`.
public struct PublicSubscription: Sendable, Equatable, Encodable {
    public var id: String
    public var status: String
    /// ISO 8601 UTC; null until Stripe reported the period.
    public var currentPeriodEnd: String?
    public var cancelAtPeriodEnd: Bool
    /// When the next invoice is due: the period's end, unless the subscription ends then or ended.
    public var nextRenewalAt: String?

    init(_ row: SubscriptionRecord) {
        id = row.id
        status = row.status
        currentPeriodEnd = row.currentPeriodEnd.map(ISO8601.string)
        cancelAtPeriodEnd = row.cancelAtPeriodEnd
        nextRenewalAt =
            row.cancelAtPeriodEnd || SubscriptionRules.finalStatuses.contains(row.status)
            ? nil : row.currentPeriodEnd.map(ISO8601.string)
    }

    enum CodingKeys: String, CodingKey {
        case id, status, currentPeriodEnd, cancelAtPeriodEnd, nextRenewalAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(status, forKey: .status)
        try c.encode(currentPeriodEnd, forKey: .currentPeriodEnd)
        try c.encode(cancelAtPeriodEnd, forKey: .cancelAtPeriodEnd)
        try c.encode(nextRenewalAt, forKey: .nextRenewalAt)
    }
}

/// A subscription as an operator sees it (`GET /api/admin/subscriptions`, `…/:id`); the detail view adds
/// its orders (the checkout order and every renewal, newest first) and its invoices.
public struct AdminSubscription: Sendable, Equatable, Encodable {
    /// One invoice Stripe reported for it.
    public struct InvoiceEntry: Sendable, Equatable, Encodable {
        public var id: String
        public var status: String
        public var billingReason: String?
        public var amount: Int64
        public var currency: String
        public var failureCount: Int
        public var createdAt: String
    }

    public var id: String
    public var status: String
    /// What Stripe's newest subscription snapshot said (null: none arrived yet).
    public var stripeStatus: String?
    public var customerId: String?
    public var customerEmail: String?
    public var orderId: String?
    public var currentPeriodStart: String?
    public var currentPeriodEnd: String?
    public var cancelAtPeriodEnd: Bool
    public var canceledAt: String?
    public var nextRenewalAt: String?
    public var needsAttention: Bool
    public var attentionReason: String?
    public var createdAt: String
    public var updatedAt: String
    /// Detail view only.
    public var orders: [AdminOrder]?
    public var invoices: [InvoiceEntry]?

    init(_ row: SubscriptionRecord, orders: [AdminOrder]? = nil, invoices: [SubscriptionInvoiceRecord]? = nil) {
        id = row.id
        status = row.status
        stripeStatus = row.stripeStatus
        customerId = row.customerID
        customerEmail = row.customerEmail
        orderId = row.orderID?.lowercased
        currentPeriodStart = row.currentPeriodStart.map(ISO8601.string)
        currentPeriodEnd = row.currentPeriodEnd.map(ISO8601.string)
        cancelAtPeriodEnd = row.cancelAtPeriodEnd
        canceledAt = row.canceledAt.map(ISO8601.string)
        nextRenewalAt = PublicSubscription(row).nextRenewalAt
        needsAttention = row.needsAttention
        attentionReason = row.attentionReason
        createdAt = ISO8601.string(row.createdAt)
        updatedAt = ISO8601.string(row.updatedAt)
        self.orders = orders
        self.invoices = invoices?.map {
            InvoiceEntry(
                id: $0.id, status: $0.status.rawValue, billingReason: $0.billingReason, amount: $0.amount,
                currency: $0.currency, failureCount: $0.failureCount, createdAt: ISO8601.string($0.invoiceCreated))
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, status, stripeStatus, customerId, customerEmail, orderId, currentPeriodStart, currentPeriodEnd
        case cancelAtPeriodEnd, canceledAt, nextRenewalAt, needsAttention, attentionReason, createdAt, updatedAt
        case orders, invoices
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(status, forKey: .status)
        try c.encode(stripeStatus, forKey: .stripeStatus)
        try c.encode(customerId, forKey: .customerId)
        try c.encode(customerEmail, forKey: .customerEmail)
        try c.encode(orderId, forKey: .orderId)
        try c.encode(currentPeriodStart, forKey: .currentPeriodStart)
        try c.encode(currentPeriodEnd, forKey: .currentPeriodEnd)
        try c.encode(cancelAtPeriodEnd, forKey: .cancelAtPeriodEnd)
        try c.encode(canceledAt, forKey: .canceledAt)
        try c.encode(nextRenewalAt, forKey: .nextRenewalAt)
        try c.encode(needsAttention, forKey: .needsAttention)
        try c.encode(attentionReason, forKey: .attentionReason)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        if let orders { try c.encode(orders, forKey: .orders) }
        if let invoices { try c.encode(invoices, forKey: .invoices) }
    }
}

/// `{"subscriptions": [...]}`.
public struct AdminSubscriptionList: Sendable, Equatable, Encodable {
    public var subscriptions: [AdminSubscription]
}

/// `GET /api/admin/subscriptions` parameters: `status` (one of Stripe's values, or any lower-case word),
/// `q` (a fragment of the customer's e-mail, case-insensitive), `limit` (1–200, default 50); newest first.
public struct AdminSubscriptionQuery: Sendable, Equatable {
    public var status: String?
    public var q: String?
    public var limit: Int = 50

    public static func parse(_ parameters: [String: String]) throws(CheckoutError) -> AdminSubscriptionQuery {
        var query = AdminSubscriptionQuery()
        for key in parameters.keys.sorted() where !["status", "q", "limit"].contains(key) {
            throw .validation(field: key, message: "unknown parameter")
        }
        if let raw = parameters["status"], !raw.isEmpty {
            guard raw.utf8.count <= 64, raw.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }) else {
                throw .validation(field: "status", message: "must be a subscription status such as active or past_due")
            }
            query.status = raw
        }
        if let raw = parameters["q"], !raw.isEmpty {
            guard raw.unicodeScalars.count <= 254, !CreateCheckoutRequest.hasControlCharacters(raw) else {
                throw .validation(field: "q", message: "must be at most 254 Unicode scalars without control characters")
            }
            query.q = raw
        }
        if let raw = parameters["limit"], !raw.isEmpty {
            guard let limit = Int(raw), (1...200).contains(limit) else {
                throw .validation(field: "limit", message: "must be an integer between 1 and 200")
            }
            query.limit = limit
        }
        return query
    }
}
