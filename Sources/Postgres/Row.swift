import CLibPQ

#if canImport(Glibc)
    import Glibc
#endif

/// One result row, copied out of libpq's `PGresult`, so it outlives the result and the connection.
///
/// Values are kept in Postgres text format and decoded on demand by column name.
public struct Row: Sendable {
    /// Column names and a name -> index map, shared by all rows of one result.
    @usableFromInline final class Columns: Sendable {
        let names: [String]
        @usableFromInline let index: [String: Int]

        init(_ names: [String]) {
            self.names = names
            var index: [String: Int] = [:]
            for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
            self.index = index
        }

        /// True when `result` has exactly these column names, in this order (so its rows can share them).
        func matches(_ result: OpaquePointer) -> Bool {
            guard Int(PQnfields(result)) == names.count else { return false }
            for (i, name) in names.enumerated() {
                guard let field = PQfname(result, Int32(i)), name.withCString({ strcmp($0, field) == 0 }) else {
                    return false
                }
            }
            return true
        }
    }

    @usableFromInline let columns: Columns
    @usableFromInline let values: [String?]

    /// The result's column names, in order.
    public var columnNames: [String] { columns.names }

    /// Decodes the column named `column` (exact, case-sensitive; the first of duplicate names wins).
    ///
    /// Throws `PostgresError(.decoding)` naming the column and the expected type when the column is missing,
    /// is NULL for a non-optional type, or holds text that is not a valid value. The message never contains
    /// the value itself. Inlinable so that callers' modules specialize it for the concrete type (the
    /// generic version instantiated `Optional` metadata at run time for every nullable column read).
    @inlinable
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws(PostgresError) -> T {
        guard let i = columns.index[column] else { throw missingColumn(column) }
        guard let text = values[i] else {
            if let null = T.postgresNull { return null }
            throw Self.decodingError(column, "column \"\(column)\" is NULL, expected \(T.self)")
        }
        guard let value = T(postgresText: text) else {
            throw Self.decodingError(column, "column \"\(column)\" is not a valid \(T.self)")
        }
        return value
    }

    @usableFromInline func missingColumn(_ column: String) -> PostgresError {
        PostgresError(
            .decoding, column: column, description: "no column \"\(column)\" in the result",
            detail: "columns: \(columns.names.joined(separator: ", "))")
    }

    @usableFromInline static func decodingError(_ column: String, _ description: String) -> PostgresError {
        PostgresError(.decoding, column: column, description: description)
    }

    /// True when the column is SQL NULL (false for a missing column).
    public func isNull(_ column: String) -> Bool {
        guard let i = columns.index[column] else { return false }
        return values[i] == nil
    }
}
