import Foundation

/// One row of `orders` as the domain reads it: the state-machine part (``OrderState``) plus the
/// descriptive columns.
public struct OrderRecord: Sendable, Equatable {
    public var id: UUID
    public var orderNumber: String
    public var state: OrderState
    public var currency: String
    public var customerEmail: String?
    public var customerID: String?
    public var metadata: [String: String]
    public var sessionCheckedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
}

/// One row of `order_items`: the title and unit price were copied from `products` at checkout, so
/// later catalog edits never change what the customer agreed to pay.
public struct OrderItemRecord: Sendable, Equatable {
    public var lineNo: Int
    public var productID: String
    public var title: String
    public var unitAmount: Int64
    public var quantity: Int
    public var amountTotal: Int64
    /// The line's billing period when it was sold at a recurring price (a subscription line).
    public var recurring: RecurringPrice? = nil
}

/// One row of `checkout_sessions`.
public struct CheckoutSessionRecord: Sendable, Equatable {
    public var id: String
    public var attempt: Int
    public var status: String
    public var paymentStatus: String?
    public var url: String?
    public var createdAt: Date
}

/// One row of `stripe_events` (without the payload).
public struct StripeEventRecord: Sendable, Equatable {
    public var id: String
    public var type: String
    public var stripeCreatedAt: Date
    public var receivedAt: Date
    public var result: String
    public var detail: String?
}

/// One row of `order_history`.
public struct OrderHistoryRecord: Sendable, Equatable {
    public var at: Date
    public var status: String
    public var paymentStatus: String
    public var fulfillmentStatus: String
    public var reason: String
    public var actor: String
}
