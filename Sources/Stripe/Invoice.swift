/// A Stripe Invoice (`object: "invoice"`), as carried by `invoice.paid` and `invoice.payment_failed`.
///
/// Since API version 2025-03-31 (basil) an invoice names its subscription under
/// `parent.subscription_details.subscription` (with the subscription's metadata beside it), and no longer
/// carries `payment_intent`, `charge` or `paid`; what paid it is in its `payments` list
/// (https://docs.stripe.com/changelog/basil/2025-03-31/add-parent-field-to-invoice, .../invoice-payments).
/// Decoding is tolerant: unknown fields are ignored; `status` and `billing_reason` are kept as sent.
public struct Invoice: Codable, Sendable, Hashable {
    /// One `lines.data[]` entry.
    public struct Line: Codable, Sendable, Hashable {
        public var id: String
        public var amount: Int64
        public var currency: String?
        public var description: String?
        public var quantity: Int64?
        public var periodStart: Int64?
        public var periodEnd: Int64?
        /// `parent.subscription_item_details.subscription_item` for a subscription's line.
        public var subscriptionItem: String?

        public init(
            id: String, amount: Int64, currency: String?, description: String?, quantity: Int64?,
            periodStart: Int64?, periodEnd: Int64?, subscriptionItem: String?
        ) {
            self.id = id
            self.amount = amount
            self.currency = currency
            self.description = description
            self.quantity = quantity
            self.periodStart = periodStart
            self.periodEnd = periodEnd
            self.subscriptionItem = subscriptionItem
        }

        enum CodingKeys: String, CodingKey {
            case id, amount, currency, description, quantity, period, parent
        }

        struct Period: Codable, Hashable {
            var start: Int64?
            var end: Int64?
        }

        struct Parent: Codable, Hashable {
            struct ItemDetails: Codable, Hashable {
                var subscriptionItem: String?
                enum CodingKeys: String, CodingKey {
                    case subscriptionItem = "subscription_item"
                }
            }
            var subscriptionItemDetails: ItemDetails?
            enum CodingKeys: String, CodingKey {
                case subscriptionItemDetails = "subscription_item_details"
            }
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
            amount = try c.decodeIfPresent(Int64.self, forKey: .amount) ?? 0
            currency = try c.decodeIfPresent(String.self, forKey: .currency)
            description = try c.decodeIfPresent(String.self, forKey: .description)
            quantity = try c.decodeIfPresent(Int64.self, forKey: .quantity)
            let period = try? c.decodeIfPresent(Period.self, forKey: .period)
            periodStart = period?.start
            periodEnd = period?.end
            subscriptionItem =
                (try? c.decodeIfPresent(Parent.self, forKey: .parent))?.subscriptionItemDetails?
                .subscriptionItem
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(amount, forKey: .amount)
            try c.encode(currency, forKey: .currency)
            try c.encode(description, forKey: .description)
            try c.encode(quantity, forKey: .quantity)
            try c.encode(Period(start: periodStart, end: periodEnd), forKey: .period)
            try c.encode(
                Parent(subscriptionItemDetails: subscriptionItem.map { Parent.ItemDetails(subscriptionItem: $0) }),
                forKey: .parent)
        }
    }

    /// `in_…`.
    public var id: String
    /// `draft`, `open`, `paid`, `uncollectible`, `void`, or a newer value.
    public var status: String?
    /// `subscription_create` (the first invoice, from Checkout), `subscription_cycle` (a renewal),
    /// `subscription_update`, `manual`, …
    public var billingReason: String?
    public var customer: String?
    public var customerEmail: String?
    public var currency: String
    public var amountDue: Int64
    public var amountPaid: Int64
    public var amountRemaining: Int64
    public var subtotal: Int64
    public var total: Int64
    public var attemptCount: Int64
    public var created: Int64
    public var periodStart: Int64?
    public var periodEnd: Int64?
    public var nextPaymentAttempt: Int64?
    /// `parent.subscription_details.subscription`.
    public var subscriptionID: String?
    /// `parent.subscription_details.metadata`: the subscription's metadata when the invoice was finalized.
    public var subscriptionMetadata: [String: String]
    public var lines: [Line]
    public var livemode: Bool

    public init(
        id: String, status: String?, billingReason: String?, customer: String?, customerEmail: String?,
        currency: String, amountDue: Int64, amountPaid: Int64, amountRemaining: Int64, subtotal: Int64, total: Int64,
        attemptCount: Int64, created: Int64, periodStart: Int64?, periodEnd: Int64?, nextPaymentAttempt: Int64?,
        subscriptionID: String?, subscriptionMetadata: [String: String], lines: [Line], livemode: Bool = false
    ) {
        self.id = id
        self.status = status
        self.billingReason = billingReason
        self.customer = customer
        self.customerEmail = customerEmail
        self.currency = currency
        self.amountDue = amountDue
        self.amountPaid = amountPaid
        self.amountRemaining = amountRemaining
        self.subtotal = subtotal
        self.total = total
        self.attemptCount = attemptCount
        self.created = created
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.nextPaymentAttempt = nextPaymentAttempt
        self.subscriptionID = subscriptionID
        self.subscriptionMetadata = subscriptionMetadata
        self.lines = lines
        self.livemode = livemode
    }

    enum CodingKeys: String, CodingKey {
        case id, object, status, customer, currency, subtotal, total, created, lines, parent, livemode
        case billingReason = "billing_reason"
        case customerEmail = "customer_email"
        case amountDue = "amount_due"
        case amountPaid = "amount_paid"
        case amountRemaining = "amount_remaining"
        case attemptCount = "attempt_count"
        case periodStart = "period_start"
        case periodEnd = "period_end"
        case nextPaymentAttempt = "next_payment_attempt"
    }

    struct LineList: Codable, Hashable {
        var data: [Line]
    }

    struct Parent: Codable, Hashable {
        struct Details: Codable, Hashable {
            var subscription: String?
            var metadata: [String: String]?
            init(subscription: String?, metadata: [String: String]?) {
                self.subscription = subscription
                self.metadata = metadata
            }
            enum CodingKeys: String, CodingKey { case subscription, metadata }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                subscription = try c.decodeExpandableID(forKey: .subscription)
                metadata = try c.decodeMetadata(forKey: .metadata)
            }
        }
        var type: String?
        var subscriptionDetails: Details?
        enum CodingKeys: String, CodingKey {
            case type
            case subscriptionDetails = "subscription_details"
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        billingReason = try c.decodeIfPresent(String.self, forKey: .billingReason)
        customer = try c.decodeExpandableID(forKey: .customer)
        customerEmail = try c.decodeIfPresent(String.self, forKey: .customerEmail)
        currency = try c.decodeIfPresent(String.self, forKey: .currency) ?? ""
        amountDue = try c.decodeIfPresent(Int64.self, forKey: .amountDue) ?? 0
        amountPaid = try c.decodeIfPresent(Int64.self, forKey: .amountPaid) ?? 0
        amountRemaining = try c.decodeIfPresent(Int64.self, forKey: .amountRemaining) ?? 0
        subtotal = try c.decodeIfPresent(Int64.self, forKey: .subtotal) ?? 0
        total = try c.decodeIfPresent(Int64.self, forKey: .total) ?? 0
        attemptCount = try c.decodeIfPresent(Int64.self, forKey: .attemptCount) ?? 0
        created = try c.decodeIfPresent(Int64.self, forKey: .created) ?? 0
        periodStart = try c.decodeIfPresent(Int64.self, forKey: .periodStart)
        periodEnd = try c.decodeIfPresent(Int64.self, forKey: .periodEnd)
        nextPaymentAttempt = try c.decodeIfPresent(Int64.self, forKey: .nextPaymentAttempt)
        let parent = try? c.decodeIfPresent(Parent.self, forKey: .parent)
        subscriptionID = parent?.subscriptionDetails?.subscription
        subscriptionMetadata = parent?.subscriptionDetails?.metadata ?? [:]
        lines = (try? c.decodeIfPresent(LineList.self, forKey: .lines))?.data ?? []
        livemode = try c.decodeIfPresent(Bool.self, forKey: .livemode) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode("invoice", forKey: .object)
        try c.encode(status, forKey: .status)
        try c.encode(billingReason, forKey: .billingReason)
        try c.encode(customer, forKey: .customer)
        try c.encode(customerEmail, forKey: .customerEmail)
        try c.encode(currency, forKey: .currency)
        try c.encode(amountDue, forKey: .amountDue)
        try c.encode(amountPaid, forKey: .amountPaid)
        try c.encode(amountRemaining, forKey: .amountRemaining)
        try c.encode(subtotal, forKey: .subtotal)
        try c.encode(total, forKey: .total)
        try c.encode(attemptCount, forKey: .attemptCount)
        try c.encode(created, forKey: .created)
        try c.encode(periodStart, forKey: .periodStart)
        try c.encode(periodEnd, forKey: .periodEnd)
        try c.encode(nextPaymentAttempt, forKey: .nextPaymentAttempt)
        try c.encode(
            Parent(
                type: subscriptionID == nil ? nil : "subscription_details",
                subscriptionDetails: subscriptionID.map {
                    Parent.Details(subscription: $0, metadata: subscriptionMetadata)
                }
            ), forKey: .parent)
        try c.encode(LineList(data: lines), forKey: .lines)
        try c.encode(livemode, forKey: .livemode)
    }
}
