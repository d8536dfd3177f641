/// What `StripeClient.createCheckoutSession` sends: a `mode=payment` session with inline `price_data`
/// line items (prices come from our catalog, never from a Stripe Price object), or `mode=subscription`
/// when a line carries `price_data[recurring]`.
public struct CheckoutSessionCreateParams: Sendable, Hashable {
    /// One `line_items[i]` entry with inline `price_data`.
    public struct LineItem: Sendable, Hashable {
        /// `price_data[product_data][name]`, shown on the hosted page.
        public var name: String
        /// `price_data[unit_amount]`, minor units (> 0).
        public var unitAmount: Int64
        /// `price_data[currency]`, ISO 4217 lower case.
        public var currency: String
        /// `quantity` (≥ 1).
        public var quantity: Int
        /// `price_data[recurring][interval]` (`day`, `week`, `month`, `year`); nil = a one-time line.
        public var recurringInterval: String?
        /// `price_data[recurring][interval_count]`.
        public var recurringIntervalCount: Int?

        public init(
            name: String, unitAmount: Int64, currency: String, quantity: Int, recurringInterval: String? = nil,
            recurringIntervalCount: Int? = nil
        ) {
            self.name = name
            self.unitAmount = unitAmount
            self.currency = currency
            self.quantity = quantity
            self.recurringInterval = recurringInterval
            self.recurringIntervalCount = recurringIntervalCount
        }
    }

    public var lineItems: [LineItem]
    /// May contain the literal `{CHECKOUT_SESSION_ID}`, which Stripe fills in on redirect.
    public var successURL: String
    public var cancelURL: String?
    /// `client_reference_id` (our order number).
    public var clientReferenceID: String?
    /// Session `metadata[…]` (≤ 50 keys; key ≤ 40 chars, no brackets; value ≤ 500 chars).
    public var metadata: [String: String]
    /// `payment_intent_data[metadata][…]`: copied onto the PaymentIntent, whose events carry no session metadata.
    public var paymentIntentMetadata: [String: String]
    public var customerEmail: String?
    /// Unix seconds, 30 min – 24 h from now; nil leaves Stripe's default (24 h).
    public var expiresAt: Int64?
    /// `subscription_data[metadata][…]`, copied onto the Subscription (whose events and invoices carry no
    /// session metadata). Sent only in `mode=subscription`.
    public var subscriptionMetadata: [String: String]?

    /// `subscription` when any line is recurring (Stripe bills one-time lines on the first invoice only),
    /// else `payment`.
    public var mode: String { lineItems.contains { $0.recurringInterval != nil } ? "subscription" : "payment" }

    public init(
        lineItems: [LineItem], successURL: String, cancelURL: String? = nil, clientReferenceID: String? = nil,
        metadata: [String: String] = [:], paymentIntentMetadata: [String: String] = [:],
        customerEmail: String? = nil, expiresAt: Int64? = nil, subscriptionMetadata: [String: String]? = nil
    ) {
        self.subscriptionMetadata = subscriptionMetadata
        self.lineItems = lineItems
        self.successURL = successURL
        self.cancelURL = cancelURL
        self.clientReferenceID = clientReferenceID
        self.metadata = metadata
        self.paymentIntentMetadata = paymentIntentMetadata
        self.customerEmail = customerEmail
        self.expiresAt = expiresAt
    }

    /// The request parameters exactly as sent (before form encoding).
    public var formParameters: [String: FormValue] {
        var p: [String: FormValue] = [
            "mode": .string(mode),
            "success_url": .string(successURL),
            "line_items": .array(
                lineItems.map { item in
                    var price: [String: FormValue] = [
                        "currency": .string(item.currency),
                        "unit_amount": .int(item.unitAmount),
                        "product_data": .dictionary(["name": .string(item.name)]),
                    ]
                    if let interval = item.recurringInterval {
                        price["recurring"] = .dictionary([
                            "interval": .string(interval),
                            "interval_count": .int(Int64(item.recurringIntervalCount ?? 1)),
                        ])
                    }
                    return .dictionary(["price_data": .dictionary(price), "quantity": .int(item.quantity)])
                }),
        ]
        if let cancelURL { p["cancel_url"] = .string(cancelURL) }
        if let clientReferenceID { p["client_reference_id"] = .string(clientReferenceID) }
        if !metadata.isEmpty { p["metadata"] = .strings(metadata) }
        if mode == "subscription" {
            // Stripe refuses payment_intent_data in subscription mode; the subscription carries the order.
            if let subscriptionMetadata, !subscriptionMetadata.isEmpty {
                p["subscription_data"] = .dictionary(["metadata": .strings(subscriptionMetadata)])
            }
        } else if !paymentIntentMetadata.isEmpty {
            p["payment_intent_data"] = .dictionary(["metadata": .strings(paymentIntentMetadata)])
        }
        if let customerEmail { p["customer_email"] = .string(customerEmail) }
        if let expiresAt { p["expires_at"] = .int(expiresAt) }
        return p
    }
}
