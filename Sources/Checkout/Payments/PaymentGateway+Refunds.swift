import Stripe

/// What the domain asks Stripe to refund.
public struct RefundCreateRequest: Sendable, Equatable {
    public var paymentIntentID: String
    /// Minor units.
    public var amount: Int64
    public var reason: String?
    public var metadata: [String: String]

    public init(paymentIntentID: String, amount: Int64, reason: String?, metadata: [String: String]) {
        self.paymentIntentID = paymentIntentID
        self.amount = amount
        self.reason = reason
        self.metadata = metadata
    }
}

extension PaymentGateway {
    /// Gateways that cannot refund (test doubles) answer unavailable.
    public func createRefund(_ request: RefundCreateRequest, idempotencyKey: String) throws(PaymentGatewayError)
        -> RefundObservation
    {
        throw .unavailable("this gateway cannot refund")
    }
}

extension StripeClient {
    /// `POST /v1/refunds` for the domain: Stripe's answer as a ``RefundObservation``.
    public func createRefund(_ request: RefundCreateRequest, idempotencyKey: String) throws(PaymentGatewayError)
        -> RefundObservation
    {
        do {
            let refund = try createRefund(
                paymentIntent: request.paymentIntentID, amount: request.amount, reason: request.reason,
                metadata: request.metadata, idempotencyKey: idempotencyKey)
            return StripeEventMapping.observation(refund)
        } catch {
            throw PaymentGatewayError(error)
        }
    }
}
