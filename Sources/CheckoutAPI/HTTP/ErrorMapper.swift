import Checkout
import HTTPServer
import Logging
import Postgres

/// The one place where a thrown error becomes a docs/API.md error response.
///
/// - `HTTPError` passes through unchanged (it is already the wire shape).
/// - `CheckoutError` keeps its stable `code` and client-safe `message`/`field`; the status comes from
///   ``status(forCode:)``; `orderId` is added when the domain names the kept order (503 `stripe_unavailable`,
///   409 `order_already_paid`).
/// - `PostgresError` (and the domain's `database` case): 503 `database_unavailable` with a generic
///   message; the detail goes to the log only, so SQL, constraint names and data never reach a client.
///   A Postgres error that is not "the database is unreachable/busy" is a bug: 500 `internal_error`.
/// - Anything else: 500 `internal_error`, logged with its type.
public enum ErrorMapper {
    /// HTTP status of every domain error code (docs/API.md §2–§3). Codes missing here answer 500 and are logged.
    public static let statusByCode: [String: Int] = [
        "invalid_json": 400, "validation_error": 400, "product_unavailable": 422, "currency_mismatch": 422,
        "out_of_stock": 409, "idempotency_key_reused": 409, "stripe_rejected": 502, "stripe_unavailable": 503,
        "order_not_found": 404, "order_not_retryable": 409, "order_already_paid": 409,
        "fulfillment_not_retryable": 409, "database_unavailable": 503,
    ]

    /// Status for a domain error code, nil when the code is unknown to the API layer.
    public static func status(forCode code: String) -> Int? { statusByCode[code] }

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
        guard let code = status(forCode: error.code) else {
            logger.error("domain error without an HTTP mapping", metadata: meta.merging(["detail": "\(error)"]) { $1 })
            return HTTPError.internalError
        }
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
