import Foundation

/// The order as a storefront sees it (docs/API.md §4): what `GET /api/orders/by-session/:id` returns.
///
/// camelCase keys, amounts in minor units, times ISO 8601 UTC; absent values are explicit `null`.
public struct PublicOrder: Sendable, Equatable, Encodable {
    /// One line of the order, priced from the catalog at checkout time.
    public struct Item: Sendable, Equatable, Encodable {
        public var productId: String
        public var title: String
        public var unitAmount: Int64
        public var quantity: Int
        public var amountTotal: Int64
    }

    public var id: String
    public var orderNumber: String
    public var status: OrderStatus
    public var paymentStatus: PaymentStatus
    public var fulfillmentStatus: FulfillmentStatus
    public var currency: String
    public var amountTotal: Int64
    public var items: [Item]
    public var customerEmail: String?
    public var checkoutSessionId: String?
    public var failureReason: String?
    /// What Checkout computed for the paying session (`OrderTotalsJSON.swift`); nil until paid that way.
    public var checkoutTotals: CheckoutTotalsJSON?
    public var createdAt: String
    public var updatedAt: String
    /// The subscription the order started or renews (by-session lookup), else null.
    public var subscription: PublicSubscription? = nil

    init(_ order: OrderRecord, items: [OrderItemRecord]) {
        id = order.id.lowercased
        orderNumber = order.orderNumber
        status = order.state.status
        paymentStatus = order.state.paymentStatus
        fulfillmentStatus = order.state.fulfillmentStatus
        currency = order.currency
        amountTotal = order.state.amountTotal
        self.items = items.map {
            Item(
                productId: $0.productID, title: $0.title, unitAmount: $0.unitAmount, quantity: $0.quantity,
                amountTotal: $0.amountTotal)
        }
        customerEmail = order.customerEmail
        checkoutSessionId = order.state.currentSessionID
        failureReason = order.state.failureReason
        checkoutTotals = order.state.checkout.totals.map(CheckoutTotalsJSON.init)
        createdAt = ISO8601.string(order.createdAt)
        updatedAt = ISO8601.string(order.updatedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, orderNumber, status, paymentStatus, fulfillmentStatus, currency, amountTotal, items, customerEmail
        case checkoutSessionId, failureReason, checkoutTotals, createdAt, updatedAt, subscription
    }

    /// Encodes docs/API.md's JSON shape (absent values as explicit `null`).
    public func encode(to encoder: any Encoder) throws {
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
        try c.encode(checkoutTotals, forKey: .checkoutTotals)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(subscription, forKey: .subscription)
    }
}

extension PublicOrder {
    /// This order as any public response shows it: the email masked (`jane@example.com` →
    /// `j***@e***.com`). Public routes are reachable with an order id or a session id alone, and both
    /// travel in URLs (the cancel URL, browser history, referrers), so what they return must not identify
    /// the customer. The masked form still lets the customer recognise their own address on the success
    /// page. Admin responses (behind the token) keep the address.
    public func maskingEmail() -> PublicOrder {
        var copy = self
        copy.customerEmail = customerEmail.map(Self.maskEmail)
        return copy
    }

    /// First scalar of the local part, first scalar of the domain's first label, the last label kept:
    /// `a@b.example` → `a***@b***.example`. Anything without an `@` becomes `***`.
    static func maskEmail(_ email: String) -> String {
        guard let at = email.lastIndex(of: "@"), let first = email.unicodeScalars.first, first != "@" else {
            return "***"
        }
        let domain = email[email.index(after: at)...]
        let labels = domain.split(separator: ".")
        guard let head = labels.first?.unicodeScalars.first, labels.count >= 2, let tld = labels.last else {
            return "\(first)***@***"
        }
        return "\(first)***@\(head)***.\(tld)"
    }
}
