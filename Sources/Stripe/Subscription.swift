/// A Stripe Subscription (`object: "subscription"`), as carried by `customer.subscription.*` events and
/// returned by `POST /v1/subscriptions/:id` / `DELETE /v1/subscriptions/:id`.
///
/// Since API version 2025-03-31 (basil) the billing period lives on each item
/// (`items.data[].current_period_start/end`), not on the subscription
/// (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end).
/// Decoding is tolerant: unknown fields are ignored and `status` is kept as sent, so a status Stripe adds
/// later is stored, not refused.
public struct Subscription: Codable, Sendable, Hashable {
    /// One `items.data[]` entry: a price billed every period, with the item's own current period.
    public struct Item: Codable, Sendable, Hashable {
        public var id: String
        public var quantity: Int64
        public var priceID: String?
        public var productID: String?
        public var unitAmount: Int64?
        public var currency: String?
        /// `price.recurring.interval` / `interval_count`.
        public var interval: String?
        public var intervalCount: Int64?
        public var currentPeriodStart: Int64?
        public var currentPeriodEnd: Int64?
        public var created: Int64?

        public init(
            id: String, quantity: Int64, priceID: String?, productID: String?, unitAmount: Int64?, currency: String?,
            interval: String?, intervalCount: Int64?, currentPeriodStart: Int64?, currentPeriodEnd: Int64?,
            created: Int64?
        ) {
            self.id = id
            self.quantity = quantity
            self.priceID = priceID
            self.productID = productID
            self.unitAmount = unitAmount
            self.currency = currency
            self.interval = interval
            self.intervalCount = intervalCount
            self.currentPeriodStart = currentPeriodStart
            self.currentPeriodEnd = currentPeriodEnd
            self.created = created
        }

        enum CodingKeys: String, CodingKey {
            case id, quantity, price, created
            case currentPeriodStart = "current_period_start"
            case currentPeriodEnd = "current_period_end"
        }

        struct Price: Codable, Hashable {
            struct Recurring: Codable, Hashable {
                var interval: String?
                var intervalCount: Int64?
                enum CodingKeys: String, CodingKey {
                    case interval
                    case intervalCount = "interval_count"
                }
            }
            var id: String?
            var product: String?
            var unitAmount: Int64?
            var currency: String?
            var recurring: Recurring?
            enum CodingKeys: String, CodingKey {
                case id, product, currency, recurring
                case unitAmount = "unit_amount"
            }
            init(id: String?, product: String?, unitAmount: Int64?, currency: String?, recurring: Recurring?) {
                self.id = id
                self.product = product
                self.unitAmount = unitAmount
                self.currency = currency
                self.recurring = recurring
            }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                id = try c.decodeIfPresent(String.self, forKey: .id)
                product = try c.decodeExpandableID(forKey: .product)
                unitAmount = try c.decodeIfPresent(Int64.self, forKey: .unitAmount)
                currency = try c.decodeIfPresent(String.self, forKey: .currency)
                recurring = try? c.decodeIfPresent(Recurring.self, forKey: .recurring)
            }
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            quantity = try c.decodeIfPresent(Int64.self, forKey: .quantity) ?? 1
            let price = try? c.decodeIfPresent(Price.self, forKey: .price)
            priceID = price?.id
            productID = price?.product
            unitAmount = price?.unitAmount
            currency = price?.currency
            interval = price?.recurring?.interval
            intervalCount = price?.recurring?.intervalCount
            currentPeriodStart = try c.decodeIfPresent(Int64.self, forKey: .currentPeriodStart)
            currentPeriodEnd = try c.decodeIfPresent(Int64.self, forKey: .currentPeriodEnd)
            created = try c.decodeIfPresent(Int64.self, forKey: .created)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(quantity, forKey: .quantity)
            try c.encode(created, forKey: .created)
            try c.encode(currentPeriodStart, forKey: .currentPeriodStart)
            try c.encode(currentPeriodEnd, forKey: .currentPeriodEnd)
            let recurring = interval.map { Price.Recurring(interval: $0, intervalCount: intervalCount) }
            try c.encode(
                Price(
                    id: priceID, product: productID, unitAmount: unitAmount, currency: currency, recurring: recurring),
                forKey: .price)
        }
    }

    /// `sub_…`.
    public var id: String
    /// `incomplete`, `incomplete_expired`, `trialing`, `active`, `past_due`, `canceled`, `unpaid`, `paused`
    /// (https://docs.stripe.com/api/subscriptions/object#subscription_object-status), or a newer value.
    public var status: String
    public var customer: String?
    public var cancelAtPeriodEnd: Bool
    public var cancelAt: Int64?
    public var canceledAt: Int64?
    public var endedAt: Int64?
    public var created: Int64
    public var currency: String?
    public var metadata: [String: String]
    public var items: [Item]
    public var latestInvoice: String?
    public var livemode: Bool

    /// The current period: the earliest start and latest end among the items (one billing period here).
    public var currentPeriodStart: Int64? { items.compactMap(\.currentPeriodStart).min() }
    public var currentPeriodEnd: Int64? { items.compactMap(\.currentPeriodEnd).max() }

    public init(
        id: String, status: String, customer: String?, cancelAtPeriodEnd: Bool = false, cancelAt: Int64? = nil,
        canceledAt: Int64? = nil, endedAt: Int64? = nil, created: Int64, currency: String?,
        metadata: [String: String] = [:], items: [Item], latestInvoice: String? = nil, livemode: Bool = false
    ) {
        self.id = id
        self.status = status
        self.customer = customer
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.cancelAt = cancelAt
        self.canceledAt = canceledAt
        self.endedAt = endedAt
        self.created = created
        self.currency = currency
        self.metadata = metadata
        self.items = items
        self.latestInvoice = latestInvoice
        self.livemode = livemode
    }

    enum CodingKeys: String, CodingKey {
        case id, object, status, customer, created, currency, metadata, items, livemode
        case cancelAtPeriodEnd = "cancel_at_period_end"
        case cancelAt = "cancel_at"
        case canceledAt = "canceled_at"
        case endedAt = "ended_at"
        case latestInvoice = "latest_invoice"
    }

    struct ItemList: Codable, Hashable {
        var data: [Item]
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? ""
        customer = try c.decodeExpandableID(forKey: .customer)
        cancelAtPeriodEnd = try c.decodeIfPresent(Bool.self, forKey: .cancelAtPeriodEnd) ?? false
        cancelAt = try c.decodeIfPresent(Int64.self, forKey: .cancelAt)
        canceledAt = try c.decodeIfPresent(Int64.self, forKey: .canceledAt)
        endedAt = try c.decodeIfPresent(Int64.self, forKey: .endedAt)
        created = try c.decodeIfPresent(Int64.self, forKey: .created) ?? 0
        currency = try c.decodeIfPresent(String.self, forKey: .currency)
        metadata = try c.decodeMetadata(forKey: .metadata)
        items = (try? c.decodeIfPresent(ItemList.self, forKey: .items))?.data ?? []
        latestInvoice = try c.decodeExpandableID(forKey: .latestInvoice)
        livemode = try c.decodeIfPresent(Bool.self, forKey: .livemode) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode("subscription", forKey: .object)
        try c.encode(status, forKey: .status)
        try c.encode(customer, forKey: .customer)
        try c.encode(cancelAtPeriodEnd, forKey: .cancelAtPeriodEnd)
        try c.encode(cancelAt, forKey: .cancelAt)
        try c.encode(canceledAt, forKey: .canceledAt)
        try c.encode(endedAt, forKey: .endedAt)
        try c.encode(created, forKey: .created)
        try c.encode(currency, forKey: .currency)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(ItemList(data: items), forKey: .items)
        try c.encode(latestInvoice, forKey: .latestInvoice)
        try c.encode(livemode, forKey: .livemode)
    }
}
