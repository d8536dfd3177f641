/// An error from the database layer, as a small value.
///
/// `description` is generic and safe to show to clients: it never contains SQL text, parameter values or row
/// data, only a category and the SQLSTATE (postgres-nio's rule). `detail` carries the server's primary message
/// for logs; messages of the data-exception class (22xxx), which quote the offending input, are cut before the
/// quoted value.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// The categories callers act on. Everything else is `.other` with its `sqlState`.
    public enum Kind: Sendable, Hashable {
        /// The connection could not be opened (bad address, auth, server down).
        case connectFailed
        /// The connection died or the server is shutting down (SQLSTATE 08xxx, 57P01–57P03). Retry elsewhere.
        case connectionLost
        /// 23505: a unique constraint (`constraint` names it) rejected the row.
        case uniqueViolation
        /// 40001: the transaction must be retried from the start.
        case serializationFailure
        /// 40P01: the transaction was chosen as a deadlock victim; retry it.
        case deadlockDetected
        /// 23503: a foreign key rejected the row.
        case foreignKeyViolation
        /// 23514: a CHECK constraint rejected the row.
        case checkViolation
        /// The pool had no free connection before the checkout deadline (or it is closed).
        case poolTimeout
        /// A column could not be decoded as the requested Swift type (`column` names it).
        case decoding
        /// Anything else; see `sqlState` and `detail`.
        case other
    }

    /// What went wrong, as far as a caller needs to decide.
    public var kind: Kind
    /// The five-character SQLSTATE the server sent, if any.
    public var sqlState: String?
    /// The constraint the server named (unique, foreign key, check violations).
    public var constraint: String?
    /// The column concerned: the server's column name, or the column that failed to decode.
    public var column: String?
    /// A generic message safe for clients and logs: never SQL text or data.
    public var description: String
    /// The server's (or libpq's) primary message for logs, without parameter values.
    public var detail: String

    /// Makes an error; `description` defaults to the generic text for `kind` and `sqlState`.
    public init(
        _ kind: Kind, sqlState: String? = nil, constraint: String? = nil, column: String? = nil,
        description: String? = nil, detail: String = ""
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.constraint = constraint
        self.column = column
        self.description = description ?? PostgresError.genericDescription(kind, sqlState)
        self.detail = detail
    }

    /// The kind for a server SQLSTATE (a connection that went bad is decided by the caller, not here).
    static func kind(forSQLState state: String) -> Kind {
        switch state {
        case "23505": return .uniqueViolation
        case "23503": return .foreignKeyViolation
        case "23514": return .checkViolation
        case "40001": return .serializationFailure
        case "40P01": return .deadlockDetected
        case "57P01", "57P02", "57P03": return .connectionLost
        default: return state.hasPrefix("08") ? .connectionLost : .other
        }
    }

    /// Condition names (PostgreSQL Appendix A) of the states worth naming in a description.
    private static let conditionNames: [String: String] = [
        "23505": "unique_violation", "23503": "foreign_key_violation", "23514": "check_violation",
        "23502": "not_null_violation", "23P01": "exclusion_violation", "40001": "serialization_failure",
        "40P01": "deadlock_detected", "57014": "query_canceled", "57P01": "admin_shutdown",
        "57P02": "crash_shutdown", "57P03": "cannot_connect_now", "55P03": "lock_not_available",
        "25P02": "in_failed_sql_transaction", "22P02": "invalid_text_representation",
        "22001": "string_data_right_truncation", "22003": "numeric_value_out_of_range",
        "22007": "invalid_datetime_format", "22008": "datetime_field_overflow", "22012": "division_by_zero",
        "42601": "syntax_error", "42P01": "undefined_table", "42703": "undefined_column",
        "42883": "undefined_function", "42P18": "indeterminate_datatype", "42804": "datatype_mismatch",
        "08006": "connection_failure", "08001": "sqlclient_unable_to_establish_sqlconnection",
    ]

    private static func genericDescription(_ kind: Kind, _ sqlState: String?) -> String {
        switch kind {
        case .connectFailed: return "could not connect to the database"
        case .connectionLost where sqlState == nil: return "database connection lost"
        case .poolTimeout: return "timed out waiting for a database connection"
        case .decoding: return "could not decode a database value"
        default:
            guard let state = sqlState else { return "database error" }
            if let name = conditionNames[state] { return "database error (\(state) \(name))" }
            return "database error (SQLSTATE \(state))"
        }
    }

    /// Drops the quoted input that data-exception messages (class 22) append, e.g.
    /// `invalid input syntax for type uuid: "…"` becomes `invalid input syntax for type uuid`.
    static func redacted(_ message: String, sqlState: String?) -> String {
        guard let state = sqlState, state.hasPrefix("22"), let cut = message.range(of: ": \"") else {
            return message
        }
        return String(message[..<cut.lowerBound])
    }
}
