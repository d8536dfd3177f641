import Foundation

/// What a customer's retry-session answered: the session to pay on, and whether it is the one the
/// order already had (nothing was expired or created) or a new one.
public struct CustomerRetryResult: Sendable, Equatable {
    public var session: CheckoutSessionResult
    /// True when `session` is the order's current session, still open at Stripe, handed back as is.
    public var reused: Bool

    /// Memberwise.
    public init(session: CheckoutSessionResult, reused: Bool) {
        self.session = session
        self.reused = reused
    }
}

extension CheckoutService {
    /// A session handed back by a customer retry must stay open at least this long (seconds), so the
    /// customer is not sent to a page about to close; in its last minutes a retry replaces it.
    public static let retryReuseMinimumRemaining: Int64 = 300

    /// retry-session as the public route runs it: anyone holding the order id (it is in the cancel
    /// URL) can call it, so it must not break a payment in progress.
    ///
    /// While the order is `pending_payment` and Stripe says its current session is still open with at
    /// least ``retryReuseMinimumRemaining`` seconds to go, that same session is answered: nothing is
    /// expired, nothing created, the customer's page keeps working. Otherwise (no session yet, the
    /// session completed, expired or about to, a failed or expired order) this is
    /// ``retrySession(orderID:actor:)``, which expires the old session and creates a new one. The
    /// admin route always forces a new session.
    public func customerRetrySession(orderID: UUID) throws(CheckoutError) -> CustomerRetryResult {
        let order = try loadOrder(orderID)
        if order.state.status == .pendingPayment, let current = order.state.currentSessionID {
            // Asked at Stripe, not read from our row: a session can expire or be paid before its
            // webhook arrives, and an expired page must not be handed back.
            let session: PaymentSession
            do {
                session = try gateway.retrieveSession(current)
            } catch {
                guard error.isMissing else {
                    throw stripeFailure(error, orderID: orderID, action: "retrieve a checkout session")
                }
                return CustomerRetryResult(
                    session: try retrySession(orderID: orderID, actor: "customer"), reused: false)
            }
            let nowSeconds = Int64(now().timeIntervalSince1970)
            if session.status == .open, let url = session.url, !url.isEmpty,
                let expiresAt = session.expiresAt, expiresAt - nowSeconds >= Self.retryReuseMinimumRemaining
            {
                logger.info("retry answered with the open session", metadata: ["order_id": "\(orderID)"])
                return CustomerRetryResult(
                    session: CheckoutSessionResult(
                        id: current, url: url, orderID: orderID, orderNumber: order.orderNumber),
                    reused: true)
            }
        }
        return CustomerRetryResult(session: try retrySession(orderID: orderID, actor: "customer"), reused: false)
    }
}
