import CLibPQ
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection. Blocking, and (libpq's rule) used by one thread at a time: it is deliberately not
/// `Sendable`; share a `ConnectionPool` across threads instead.
///
/// Every statement goes through the extended protocol (`PQprepare`/`PQexecPrepared` from a per-connection
/// statement cache, else `PQexecParams`) with the values as separate text-format parameters, so no value is
/// ever spliced into SQL. Results are requested in text format and copied into `Row`s before the `PGresult`
/// is freed. The session is pinned to UTF-8, UTC, ISO dates, exact floats and hex bytea, which is
/// what the encoders and decoders assume.
public final class Connection {
    private let conn: OpaquePointer

    /// True once the connection is unusable (it went bad or the server said it is going away); a pool
    /// discards such a connection instead of reusing it.
    public private(set) var isBroken = false

    /// True inside `transaction { }`.
    public private(set) var isInTransaction = false

    /// Statements that succeeded on this connection (the pool's retry rule looks at it).
    var succeededStatements = 0

    /// Set by the migrator so that its session-level advisory lock can never outlive the run in a pool.
    var discardWhenReturned = false

    /// Opens a connection from a URL (`postgres://user:pw@host:port/db?sslmode=…`) or a `key=value` string.
    ///
    /// Unless given, `connect_timeout` is `connectTimeout` seconds, `application_name` is `applicationName`
    /// and TCP keepalives probe after 30 s. Server settings can be passed as `options`, e.g.
    /// `?options=-c%20statement_timeout%3D5s`. Throws `.connectFailed` with libpq's reason in `detail`, the
    /// password masked.
    public init(url: String, applicationName: String = "checkout-server", connectTimeout: Int = 5)
        throws(PostgresError)
    {
        guard !url.utf8.contains(0) else {
            throw PostgresError(.connectFailed, detail: "connection string contains a NUL byte")
        }
        var errorMessage: UnsafeMutablePointer<CChar>? = nil
        guard let options = PQconninfoParse(url, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            // libpq's parse message may quote any part of the string, the password included: do not pass it on.
            throw PostgresError(.connectFailed, detail: "invalid connection string")
        }
        var settings: [(String, String)] = []
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val { settings.append((String(cString: keyword), String(cString: value))) }
            cursor += 1
        }
        PQconninfoFree(options)

        func value(_ key: String) -> String? { settings.first { $0.0 == key }?.1 }
        let password = value("password")
        let userOptions = value("options")
        var defaults = [
            ("connect_timeout", String(connectTimeout)), ("application_name", applicationName),
            // Notice a silently vanished peer (NAT, failover) in about a minute instead of the OS's hours.
            ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
        ]
        defaults.removeAll { key, _ in value(key) != nil }
        settings += defaults
        settings.removeAll { $0.0 == "client_encoding" || $0.0 == "options" }
        settings.append(("client_encoding", "UTF8"))
        // The session settings the text codecs rely on; they win over any `options` given in the URL.
        let pinned = "-c TimeZone=UTC -c DateStyle=ISO,YMD -c extra_float_digits=3 -c bytea_output=hex"
        settings.append(("options", [userOptions, pinned].compactMap { $0 }.joined(separator: " ")))

        let keys = settings.map { strdup($0.0) }
        let values = settings.map { strdup($0.1) }
        defer { (keys + values).forEach { free($0) } }
        let keyPointers = keys.map { UnsafePointer($0) } + [nil]
        let valuePointers = values.map { UnsafePointer($0) } + [nil]
        guard let conn = PQconnectdbParams(keyPointers, valuePointers, 0) else {
            throw PostgresError(.connectFailed, detail: "out of memory")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            var reason = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
            if let password, !password.isEmpty { reason = reason.replacingOccurrences(of: password, with: "***") }
            PQfinish(conn)
            throw PostgresError(.connectFailed, detail: reason)
        }
        // libpq prints NOTICEs to stderr by default; a library must not write to the process's stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        self.conn = conn
    }

    deinit { PQfinish(conn) }

    /// Runs one statement and returns its rows (none for commands).
    ///
    /// `params` bind to `$1`, `$2`, … in order; `Optional.none` is SQL NULL. One statement only: libpq's
    /// extended protocol rejects `a; b`.
    public func query(_ sql: String, _ params: [any PostgresEncodable] = []) throws(PostgresError) -> [Row] {
        let (result, statement) = try exec(sql, params)
        defer { PQclear(result) }
        let rowCount = PQntuples(result)
        let fieldCount = PQnfields(result)
        let columns: Row.Columns
        if let cached = statement?.columns, cached.matches(result) {
            columns = cached  // same statement, same result shape: no names to copy or hash again
        } else {
            columns = Row.Columns((0..<fieldCount).map { String(cString: PQfname(result, $0)) })
            statement?.columns = columns
        }
        var rows: [Row] = []
        rows.reserveCapacity(Int(rowCount))
        for r in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(Int(fieldCount))
            for c in 0..<fieldCount {
                if PQgetisnull(result, r, c) == 1 {
                    values.append(nil)
                } else {
                    let bytes = UnsafeRawBufferPointer(
                        start: PQgetvalue(result, r, c), count: Int(PQgetlength(result, r, c)))
                    values.append(String(decoding: bytes, as: UTF8.self))
                }
            }
            rows.append(Row(columns: columns, values: values))
        }
        return rows
    }

    /// Runs one statement and returns the number of rows it affected (0 when the command reports none).
    @discardableResult
    public func execute(_ sql: String, _ params: [any PostgresEncodable] = []) throws(PostgresError) -> Int {
        let result = try exec(sql, params).result
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// Runs `body` inside BEGIN … COMMIT and returns its value.
    ///
    /// Any error thrown by `body`, or by COMMIT, rolls the transaction back and is rethrown. If `body`
    /// swallowed a failed statement (the transaction is aborted), COMMIT would silently roll back, so this
    /// throws instead. No savepoints: a nested call throws `.other` without touching the open transaction.
    @discardableResult
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        guard !isInTransaction else {
            throw PostgresError(.other, description: "nested transactions are not supported")
        }
        try command("BEGIN")
        isInTransaction = true
        defer { isInTransaction = false }
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        if PQtransactionStatus(conn) == PQTRANS_INERROR {
            rollbackQuietly()
            throw PostgresError(
                .other, sqlState: "25P02", detail: "a statement failed inside the transaction and the error was caught")
        }
        do {
            try command("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        return value
    }

    private func rollbackQuietly() {
        guard !isBroken else { return }
        _ = try? command("ROLLBACK")
    }

    /// Transaction control, never through the statement cache: nothing to plan, and a ROLLBACK must not depend
    /// on a cached statement that may have been deallocated.
    private func command(_ sql: String) throws(PostgresError) {
        PQclear(try exec(sql, [], prepare: false).result)
    }

    /// Runs a multi-statement script with `PQexec` (simple protocol, no parameters).
    ///
    /// Only the migrator calls this, with the text of our own `sql/NNN_*.sql` files, never with input: it is
    /// the one place SQL is not parameterized, because a migration file is several statements.
    func executeScript(_ sql: String) throws(PostgresError) {
        guard !sql.utf8.contains(0) else { throw PostgresError(.other, detail: "script contains a NUL byte") }
        try PQclear(check(PQexec(conn, sql)))
        succeededStatements += 1
    }

    /// True unless the connection is known or suspected to be dead. Costs no round trip: an idle connection
    /// has nothing to read (we never LISTEN), so readable data or a hang-up means the server has written a
    /// FATAL and is closing it (a restart, `pg_terminate_backend`, `idle_session_timeout`). Such a connection is
    /// marked broken and must be replaced; at worst a healthy one is reopened.
    func isAlive() -> Bool {
        guard !isBroken, PQstatus(conn) == CONNECTION_OK, PQsocket(conn) >= 0 else {
            isBroken = true
            return false
        }
        var pfd = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        if poll(&pfd, 1, 0) == 0 { return true }
        isBroken = true
        return false
    }

    /// True when no transaction block is open (what a pool requires before reusing the connection).
    var isIdle: Bool { PQtransactionStatus(conn) == PQTRANS_IDLE }

    /// Runs one statement; returns its result and, when it went through the statement cache, its entry.
    private func exec(_ sql: String, _ params: [any PostgresEncodable], prepare: Bool = true) throws(PostgresError)
        -> (result: OpaquePointer, statement: PreparedStatement?)
    {
        guard !isBroken else { throw PostgresError(.connectionLost, detail: "connection is broken") }
        guard params.count <= Int(Int16.max) * 2 + 1 else {
            throw PostgresError(.other, detail: "too many parameters (\(params.count))")
        }
        var types: [Oid] = []
        types.reserveCapacity(params.count)
        var texts: [UnsafeMutablePointer<CChar>?] = []
        texts.reserveCapacity(params.count)
        defer { texts.forEach { free($0) } }
        for (i, param) in params.enumerated() {
            types.append(type(of: param).postgresTypeOID)
            guard let text = param.postgresText else {
                texts.append(nil)
                continue
            }
            // libpq takes C strings: a NUL would silently cut the value short. Postgres text cannot hold NUL anyway.
            guard !Self.containsNUL(text) else {
                throw PostgresError(
                    .other, description: "invalid query parameter", detail: "parameter $\(i + 1) contains a NUL byte")
            }
            texts.append(strdup(text))
        }
        guard !Self.containsNUL(sql) else { throw PostgresError(.other, detail: "SQL contains a NUL byte") }
        let values = texts.map { UnsafePointer($0) }
        let count = Int32(params.count)
        let unprepared = { () throws(PostgresError) in
            try self.check(PQexecParams(self.conn, sql, count, types, values, nil, nil, 0))
        }
        let outcome: (OpaquePointer, PreparedStatement?)
        if prepare {
            outcome = try execPrepared(sql, types) { name throws(PostgresError) in
                try check(PQexecPrepared(conn, name, count, values, nil, nil, 0))
            } unprepared: { () throws(PostgresError) in
                try unprepared()
            }
        } else {
            outcome = (try unprepared(), nil)
        }
        succeededStatements += 1
        return outcome
    }

    /// True when `text` holds a NUL byte (memchr over its UTF-8, not a per-character walk).
    static func containsNUL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            guard let base = utf8.baseAddress else { return false }
            return memchr(base, 0, utf8.count) != nil
        }
    }

    /// One server-side prepared statement of this connection, and the column layout its results had last
    /// time (reused while it matches, so a result's column names are not copied and hashed per query).
    final class PreparedStatement {
        let name: String
        let types: [Oid]
        var columns: Row.Columns?

        init(name: String, types: [Oid]) {
            self.name = name
            self.types = types
        }
    }

    /// Per-connection cache of prepared statements: SQL (then parameter types) -> server-side statement.
    ///
    /// Parsing and planning each time (the unnamed statement) halves the rate of small queries (pgbench here:
    /// 12.6k vs 23.4k tps), so each distinct statement is prepared once per connection and then only bound and
    /// executed, as the JDBC, pgx and postgres-nio drivers do. Bounded: past `statementCacheCapacity` distinct
    /// statements (generated DDL, say) the rest run unprepared.
    private var preparedStatements: [String: [PreparedStatement]] = [:]
    private var preparedCount = 0
    private var nextStatementNumber = 0
    static let statementCacheCapacity = 256

    private func execPrepared(
        _ sql: String, _ types: [Oid], run: (String) throws(PostgresError) -> OpaquePointer,
        unprepared: () throws(PostgresError) -> OpaquePointer
    ) throws(PostgresError) -> (OpaquePointer, PreparedStatement?) {
        let autocommit = PQtransactionStatus(conn) == PQTRANS_IDLE
        if let statement = preparedStatements[sql]?.first(where: { $0.types == types }) {
            do {
                return (try run(statement.name), statement)
            } catch  where (error.sqlState == "0A000" || error.sqlState == "26000") && !isBroken {
                // "cached plan must not change result type" after a schema change, or the statement was
                // deallocated (DISCARD ALL). Forget it; outside a transaction block the failed statement had no
                // effect, so preparing it afresh and running it again is safe.
                preparedStatements[sql]?.removeAll { $0 === statement }
                preparedCount -= 1
                guard autocommit else { throw error }
            }
        }
        guard preparedCount < Self.statementCacheCapacity else { return (try unprepared(), nil) }
        nextStatementNumber += 1
        let statement = PreparedStatement(name: "checkout_\(nextStatementNumber)", types: types)
        PQclear(try check(PQprepare(conn, statement.name, sql, Int32(types.count), types)))
        preparedStatements[sql, default: []].append(statement)
        preparedCount += 1
        return (try run(statement.name), statement)
    }

    /// Returns a successful result or frees it and throws the mapped error.
    private func check(_ result: OpaquePointer?) throws(PostgresError) -> OpaquePointer {
        guard let result else {
            isBroken = PQstatus(conn) != CONNECTION_OK
            throw PostgresError(isBroken ? .connectionLost : .other, detail: lastErrorMessage())
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return result
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            // COPY needs a protocol this wrapper does not speak; the connection is stuck in it.
            PQclear(result)
            isBroken = true
            throw PostgresError(.other, detail: "COPY is not supported")
        default:
            let error = makeError(result)
            PQclear(result)
            throw error
        }
    }

    private func makeError(_ result: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let state = field("C")
        var kind = state.map(PostgresError.kind(forSQLState:)) ?? .other
        if PQstatus(conn) != CONNECTION_OK { kind = .connectionLost }
        if kind == .connectionLost { isBroken = true }
        let message = field("M") ?? lastErrorMessage()
        return PostgresError(
            kind, sqlState: state, constraint: field("n"), column: field("c"),
            detail: PostgresError.redacted(message, sqlState: state))
    }

    private func lastErrorMessage() -> String {
        String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
