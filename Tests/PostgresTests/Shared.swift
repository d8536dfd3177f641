import Foundation
import Postgres
import TestSupport

/// A pool on the test cluster's `checkout` database, for tests that only echo values (no tables).
enum Shared {
    static let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 4)

    /// Sends `value` as a parameter, casts it to `sqlType` on the server and decodes the echoed text.
    static func echo<T: PostgresEncodable & PostgresDecodable>(_ value: T, as sqlType: String) throws -> T {
        try pool.withConnection { connection in
            try connection.query("SELECT $1::\(sqlType) AS v", [value])[0].decode("v", as: T.self)
        }
    }

    /// The single value of a one-row, one-column query.
    static func scalar<T: PostgresDecodable>(
        _ sql: String, _ params: [any PostgresEncodable] = [], as type: T.Type = T.self
    ) throws -> T {
        try pool.withConnection { connection in
            let rows = try connection.query(sql, params)
            return try rows[0].decode(rows[0].columnNames[0], as: T.self)
        }
    }

    /// Microseconds since 1970, the resolution both Postgres and our codec keep.
    static func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    /// Runs `body(0..<count)` on `count` new threads at once (not the cooperative pool, which may have fewer
    /// threads than the test needs) and waits for all of them, at most `timeout`; returns false on timeout.
    @discardableResult
    static func onThreads(_ count: Int, timeout: Duration = .seconds(60), _ body: @escaping @Sendable (Int) -> Void)
        -> Bool
    {
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            let thread = Thread {
                body(i)
                group.leave()
            }
            thread.start()
        }
        let seconds = Double(timeout.components.seconds)
        return group.wait(timeout: .now() + seconds) == .success
    }
}
