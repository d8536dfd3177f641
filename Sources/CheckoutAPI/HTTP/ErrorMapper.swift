import Foundation
import Checkout
import HTTPServer
import Logging
import Postgres

/// The one place where a thrown error becomes a docs/API.md error response.
///
/// - `HTTPError` passes through unchanged (it is already the wire shape).
/// - `CheckoutError` keeps its stable `code` and client-safe `message`/`field`; the status comes from
///   ``status(of:)``; `orderId` is added when the domain names the kept order (503 `stripe_unavailable`,
///   409 `order_already_paid`).
/// - `PostgresError` (and the domain's `database` case): 503 `database_unavailable` with a generic
///   message; the detail goes to the log only, so SQL, constraint names and data never reach a client.
///   A Postgres error that is not "the database is unreachable/busy" is a bug: 500 `internal_error`.
/// - Anything else: 500 `internal_error`, logged with its type.
public enum ErrorMapper {
    /// HTTP status of a domain error. An exhaustive `switch`, so a new ``CheckoutError`` case does not
    /// compile until it has a status (a table keyed by code string can miss one, which then answers 500).
    public static func status(of error: CheckoutError) -> Int {
        switch error {
        case .validation, .invalidJSON: return 400
        case .productUnavailable, .currencyMismatch: return 422
        case .outOfStock, .idempotencyKeyReused, .orderNotRetryable, .orderAlreadyPaid, .fulfillmentNotRetryable,
            .subscriptionNotCancellable:
            return 409
        case .orderNotFound, .subscriptionNotFound: return 404
        case .stripeRejected: return 502
        case .stripeUnavailable, .database: return 503
        case .internalFailure: return 500
        }
    }

    /// Maps `error` to the response error, logging what clients must not see.
    public static func httpError(for error: any Error, requestID: String, logger: Logger) -> HTTPError {
        switch error {
        case let http as HTTPError:
            return http
        case let domain as CheckoutError:
            return map(domain, requestID: requestID, logger: logger)
        case let pg as PostgresError:
            return map(pg, requestID: requestID, logger: logger)
        default:
            logger.error(
                "unexpected error", metadata: ["request_id": .string(requestID), "error_type": "\(type(of: error))"])
            return HTTPError.internalError
        }
    }

    static func map(_ error: CheckoutError, requestID: String, logger: Logger) -> HTTPError {
        let meta: Logger.Metadata = ["request_id": .string(requestID), "code": .string(error.code)]
        if error.code == "database_unavailable" {
            logger.error("database unavailable", metadata: meta.merging(["detail": "\(error)"]) { $1 })
            return databaseUnavailable
        }
        if case .internalFailure = error {
            logger.error("internal failure", metadata: meta.merging(["detail": "\(error)"]) { $1 })
            return HTTPError.internalError
        }
        let code = status(of: error)
        var extra: [String: String] = [:]
        if let orderID = error.orderID { extra["orderId"] = orderID.uuidString.lowercased() }
        var headers = HTTPHeaders()
        switch error.code {
        case "stripe_rejected":
            // A 4xx from Stripe means our request or configuration is wrong: loud, but no payload in the log.
            logger.critical(
                "Stripe rejected a request (configuration fault?)",
                metadata: meta.merging(["detail": "\(error)"]) { $1 })
        case "stripe_unavailable":
            logger.warning("Stripe unavailable", metadata: meta.merging(["detail": "\(error)"]) { $1 })
            headers.add("Retry-After", "5")
        default:
            break
        }
        return HTTPError(
            HTTPStatus(code: code), code: error.code, message: error.message, field: error.field, headers: headers,
            extra: extra)
    }

    static func map(_ error: PostgresError, requestID: String, logger: Logger) -> HTTPError {
        let meta: Logger.Metadata = [
            "request_id": .string(requestID), "pg_kind": "\(error.kind)", "sqlstate": .string(error.sqlState ?? ""),
            "detail": .string(error.detail),
        ]
        switch error.kind {
        case .connectFailed, .connectionLost, .poolTimeout, .serializationFailure, .deadlockDetected:
            logger.error("database unavailable", metadata: meta)
            return databaseUnavailable
        default:
            logger.error("unexpected database error", metadata: meta)
            return HTTPError.internalError
        }
    }

    /// 503 `database_unavailable`, deliberately generic, with `Retry-After`.
    public static let databaseUnavailable = HTTPError(
        .serviceUnavailable, code: "database_unavailable",
        message: "the service is temporarily unavailable, retry shortly", headers: ["Retry-After": "2"])
}
