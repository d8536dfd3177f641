import Foundation

/// One row of `subscriptions` (migration 011): a Stripe subscription as far as Stripe's events told us.
public struct SubscriptionRecord: Sendable, Equatable {
    /// `sub_…`.
    public var id: String
    /// The order of the Checkout Session that created it (its first invoice's order).
    public var orderID: UUID?
    public var customerID: String?
    public var customerEmail: String?
    /// What the newest subscription snapshot said (nil: none arrived yet).
    public var stripeStatus: String?
    /// As shown: see ``SubscriptionRules/effectiveStatus(stripeStatus:snapshotAt:newestInvoice:)``.
    public var status: String
    public var currentPeriodStart: Date?
    public var currentPeriodEnd: Date?
    public var cancelAtPeriodEnd: Bool
    public var canceledAt: Date?
    /// `created` of the event whose snapshot the row holds.
    public var snapshotAt: Date?
    public var needsAttention: Bool
    public var attentionReason: String?
    public var createdAt: Date
    public var updatedAt: Date

    /// A row nothing was learned for yet (a placeholder the first event fills in, under its lock).
    public static func empty(id: String, now: Date = Date()) -> SubscriptionRecord {
        SubscriptionRecord(
            id: id, orderID: nil, customerID: nil, customerEmail: nil, stripeStatus: nil, status: "incomplete",
            currentPeriodStart: nil, currentPeriodEnd: nil, cancelAtPeriodEnd: false, canceledAt: nil, snapshotAt: nil,
            needsAttention: false, attentionReason: nil, createdAt: now, updatedAt: now)
    }
}

/// One row of `subscription_invoices`: an invoice of a subscription and what Stripe last said of it.
public struct SubscriptionInvoiceRecord: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        case paid, failed
    }

    public var id: String
    public var subscriptionID: String
    public var status: Status
    public var billingReason: String?
    public var amount: Int64
    public var currency: String
    /// The invoice's own `created`.
    public var invoiceCreated: Date
    /// The latest end of the periods its lines bill (orders invoices created in the same second).
    public var periodEnd: Date? = nil
    public var failureCount: Int
    /// `created` of the newest event applied for it.
    public var eventAt: Date
}

/// What a subscription snapshot (`customer.subscription.*`) says, reduced to what the row keeps.
public struct SubscriptionSnapshot: Sendable, Equatable {
    public var id: String
    public var status: String
    public var customerID: String?
    public var currentPeriodStart: Date?
    public var currentPeriodEnd: Date?
    public var cancelAtPeriodEnd: Bool
    public var canceledAt: Date?
    /// The event's `created`.
    public var at: Date

    public init(
        id: String, status: String, customerID: String?, currentPeriodStart: Date?, currentPeriodEnd: Date?,
        cancelAtPeriodEnd: Bool, canceledAt: Date?, at: Date
    ) {
        self.id = id
        self.status = status
        self.customerID = customerID
        self.currentPeriodStart = currentPeriodStart
        self.currentPeriodEnd = currentPeriodEnd
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.canceledAt = canceledAt
        self.at = at
    }
}
