import Foundation
import Stripe

/// The real Stripe client is the domain's payment gateway: this maps the domain's request to
/// Stripe's parameters, Stripe's session to the domain's, and Stripe's errors to what the domain
/// acts on (4xx other than 409/429 → rejected; 409, 429, 5xx, `Stripe-Should-Retry: true`, timeouts,
/// transport and decoding → unavailable).
extension StripeClient: PaymentGateway {
    /// `POST /v1/checkout/sessions` with `price_data` lines (mode `payment`, or `subscription` when a line
    /// is recurring).
    public func createSession(_ request: PaymentSessionRequest, idempotencyKey: String) throws(PaymentGatewayError)
        -> PaymentSession
    {
        let params = CheckoutSessionCreateParams(
            lineItems: request.lines.map {
                .init(
                    name: $0.name, unitAmount: $0.unitAmount, currency: $0.currency, quantity: $0.quantity,
                    recurringInterval: $0.recurring?.interval.rawValue,
                    recurringIntervalCount: $0.recurring?.intervalCount)
            },
            successURL: request.successURL, cancelURL: request.cancelURL, clientReferenceID: request.clientReferenceID,
            metadata: request.metadata, paymentIntentMetadata: request.paymentIntentMetadata,
            customerEmail: request.customerEmail, expiresAt: request.expiresAt,
            subscriptionMetadata: request.isSubscription ? request.subscriptionMetadata ?? [:] : nil)
        do {
            return PaymentSession(try createCheckoutSession(params, idempotencyKey: idempotencyKey))
        } catch {
            throw PaymentGatewayError(error)
        }
    }

    /// `GET /v1/checkout/sessions/:id`.
    public func retrieveSession(_ id: String) throws(PaymentGatewayError) -> PaymentSession {
        do {
            return PaymentSession(try retrieveCheckoutSession(id))
        } catch {
            throw PaymentGatewayError(error)
        }
    }

    /// `POST /v1/checkout/sessions/:id/expire` (Stripe answers 400 when the session is not open).
    public func expireSession(_ id: String, idempotencyKey: String) throws(PaymentGatewayError) -> PaymentSession {
        do {
            return PaymentSession(try expireCheckoutSession(id, idempotencyKey: idempotencyKey))
        } catch {
            throw PaymentGatewayError(error)
        }
    }
}

extension PaymentGatewayError {
    /// Reduces a Stripe error to rejected / unavailable.
    init(_ error: StripeError) {
        switch error {
        case .api(let api) where api.status == 409 || api.status == 429 || api.status >= 500 || api.shouldRetry == true:
            // 409 is `idempotency_key_in_use` (a concurrent or timed-out attempt with the same key is
            // still running at Stripe) or a lock conflict: the same request may well succeed later.
            self = .unavailable("Stripe answered \(api.status) \(api.type)")
        case .api(let api):
            self = .rejected(status: api.status, type: api.type, code: api.code, message: api.message ?? "")
        case .transport(let detail):
            self = .unavailable("transport: \(detail)")
        case .timeout:
            self = .unavailable("timed out")
        case .decoding(let detail):
            self = .unavailable("undecodable answer: \(detail)")
        }
    }
}

extension PaymentSession {
    /// The domain's view of a Stripe Checkout Session.
    public init(_ session: CheckoutSession) {
        let status: Status
        switch session.status {
        case .open: status = .open
        case .complete: status = .complete
        case .expired: status = .expired
        case .unknown: status = .unknown
        }
        self.init(
            id: session.id, url: session.url, status: status,
            paymentStatus: SessionPaymentOutcome(session.paymentStatus), paymentIntentID: session.paymentIntent,
            amountTotal: session.amountTotal, metadata: session.metadata, expiresAt: session.expiresAt,
            currency: session.currency)
    }
}

extension SessionPaymentOutcome {
    /// nil for a value Stripe added after our API version.
    init?(_ status: CheckoutSession.PaymentStatus) {
        switch status {
        case .paid: self = .paid
        case .unpaid: self = .unpaid
        case .noPaymentRequired: self = .noPaymentRequired
        case .unknown: return nil
        }
    }
}
