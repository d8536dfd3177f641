import Foundation
import Postgres

/// Every failure the domain reports, as a small value with a stable snake_case ``code``.
///
/// HTTP-agnostic: the API layer maps ``code`` to a status (docs/API.md §2). ``message`` is safe to
/// show to clients: it never contains SQL, secrets or raw Stripe payloads.
public enum CheckoutError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A request field is wrong; `field` is a path such as `items[2].quantity` or `metadata.k`.
    case validation(field: String?, message: String)
    /// The body is not JSON (or not an object).
    case invalidJSON(String)
    /// A product is unknown or inactive. → 422
    case productUnavailable(productID: String)
    /// The items are priced in more than one currency. → 422
    case currencyMismatch
    /// Not enough stock for a product. → 409
    case outOfStock(productID: String)
    /// The client's Idempotency-Key was used with another body. → 409
    case idempotencyKeyReused
    /// Stripe answered 4xx: a configuration fault. The order (if any) is kept. → 502
    case stripeRejected(orderID: UUID?, detail: String)
    /// Stripe unreachable / 5xx / 429 after retries. The order is kept as pending_payment; clients
    /// call retry-session with `orderID`. → 503 with `orderId` in the error body
    case stripeUnavailable(orderID: UUID?, detail: String)
    /// No such order. → 404
    case orderNotFound
    /// retry-session on a paid/confirmed/refunded/cancelled order. → 409
    case orderNotRetryable(status: OrderStatus)
    /// retry-session found the old session already paid (the payment was applied). → 409
    case orderAlreadyPaid(orderID: UUID)
    /// retry-fulfillment when fulfillment has not failed. → 409
    case fulfillmentNotRetryable(status: FulfillmentStatus)
    /// No subscription with that id (404).
    case subscriptionNotFound
    /// Cancel of a subscription that is already canceled (409).
    case subscriptionNotCancellable(status: String)
    /// The database is unreachable or busy (connect failed, connection lost, pool timeout,
    /// serialization failure or deadlock after retries). → 503; `detail` is for logs only.
    case database(detail: String)
    /// Anything else that went wrong inside (an unexpected SQL error is a bug). → 500; `detail` is
    /// for logs only.
    case internalFailure(detail: String)

    /// Stable machine-readable code (docs/API.md §2).
    public var code: String {
        switch self {
        case .validation: return "validation_error"
        case .invalidJSON: return "invalid_json"
        case .productUnavailable: return "product_unavailable"
        case .currencyMismatch: return "currency_mismatch"
        case .outOfStock: return "out_of_stock"
        case .idempotencyKeyReused: return "idempotency_key_reused"
        case .stripeRejected: return "stripe_rejected"
        case .stripeUnavailable: return "stripe_unavailable"
        case .orderNotFound: return "order_not_found"
        case .orderNotRetryable: return "order_not_retryable"
        case .orderAlreadyPaid: return "order_already_paid"
        case .fulfillmentNotRetryable: return "fulfillment_not_retryable"
        case .subscriptionNotFound: return "subscription_not_found"
        case .subscriptionNotCancellable: return "subscription_not_cancellable"
        case .database: return "database_unavailable"
        case .internalFailure: return "internal_error"
        }
    }

    /// The field at fault, when one is.
    public var field: String? {
        switch self {
        case .validation(let field, _): return field
        case .productUnavailable, .outOfStock: return "items"
        default: return nil
        }
    }

    /// The order concerned, when the client needs it (docs/API.md: 503 carries `orderId`).
    public var orderID: UUID? {
        switch self {
        case .stripeRejected(let id, _), .stripeUnavailable(let id, _): return id
        case .orderAlreadyPaid(let id): return id
        default: return nil
        }
    }

    /// A human message, safe for clients.
    public var message: String {
        switch self {
        case .validation(let field, let message): return field.map { "\($0) \(message)" } ?? message
        case .invalidJSON(let message): return message
        case .productUnavailable(let id): return "product \(id) is unknown or not available"
        case .currencyMismatch: return "all items must be priced in the same currency"
        case .outOfStock(let id): return "product \(id) is out of stock"
        case .idempotencyKeyReused: return "this Idempotency-Key was already used with a different request body"
        case .stripeRejected: return "the payment provider rejected the request"
        case .stripeUnavailable: return "the payment provider is unavailable; the order was kept, retry later"
        case .orderNotFound: return "order not found"
        case .orderNotRetryable(let status): return "order is \(status.rawValue) and cannot be retried"
        case .orderAlreadyPaid: return "order is already paid"
        case .fulfillmentNotRetryable(let status): return "fulfillment is \(status.rawValue), not failed"
        case .subscriptionNotFound: return "subscription not found"
        case .subscriptionNotCancellable(let status): return "subscription is \(status) and cannot be cancelled"
        case .database: return "the database is unavailable"
        case .internalFailure: return "internal error"
        }
    }

    /// For logs: the message plus internal detail (never shown to clients).
    public var description: String {
        switch self {
        case .stripeRejected(_, let detail), .stripeUnavailable(_, let detail), .database(let detail),
            .internalFailure(let detail):
            return "\(code): \(message) (\(detail))"
        default:
            return "\(code): \(message)"
        }
    }
}

extension CheckoutError {
    /// Classifies any error thrown inside the domain: a ``CheckoutError`` stays itself; a Postgres
    /// error meaning "unreachable or busy" becomes ``database(detail:)``; everything else becomes
    /// ``internalFailure(detail:)``.
    static func wrapping(_ error: any Error) -> CheckoutError {
        switch error {
        case let domain as CheckoutError:
            return domain
        case let postgres as PostgresError:
            switch postgres.kind {
            case .connectFailed, .connectionLost, .poolTimeout, .serializationFailure, .deadlockDetected:
                return .database(detail: "\(postgres.description) \(postgres.detail)")
            default:
                return .internalFailure(detail: "\(postgres.description) \(postgres.detail)")
            }
        default:
            return .internalFailure(detail: "\(type(of: error)): \(error)")
        }
    }
}
