import Foundation
import Postgres
import TestSupport
import Testing

/// `transaction { }`: commit, rollback on throw, no silent rollback, no nesting, and retries in the pool.
@Suite struct TransactionTests {
    struct Boom: Error {}

    static func count(_ pool: ConnectionPool, _ id: String) throws -> Int {
        try pool.withConnection {
            try $0.query("SELECT count(*) AS n FROM products WHERE id = $1", [id])[0].decode("n")
        }
    }

    static func insert(_ connection: Connection, _ id: String) throws {
        try connection.execute(
            "INSERT INTO products (id, title, unit_amount, currency) VALUES ($1, 'T', 1, 'eur')", [id])
    }

    @Test func commitIsVisibleToOtherConnections() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let pool = db.pool(max: 2)
        let value = try pool.withConnection { connection in
            try connection.transaction { connection in
                try Self.insert(connection, "a")
                // Not visible to another session before COMMIT.
                #expect(try Self.count(pool, "a") == 0)
                return 7
            }
        }
        #expect(value == 7)
        #expect(try Self.count(pool, "a") == 1)
    }

    @Test func thrownErrorRollsBack() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let pool = db.pool(max: 1)
        #expect(throws: Boom.self) {
            try pool.transaction { connection in
                try Self.insert(connection, "b")
                throw Boom()
            }
        }
        #expect(try Self.count(pool, "b") == 0)
        #expect(pool.stats.idle == 1)  // the connection came back clean and was kept
    }

    @Test func failedStatementRollsBackEverything() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let pool = db.pool(max: 1)
        let error = try #require(throws: PostgresError.self) {
            try pool.transaction { connection in
                try Self.insert(connection, "c")
                try Self.insert(connection, "c")
            }
        }
        #expect(error.kind == .uniqueViolation)
        #expect(try Self.count(pool, "c") == 0)
    }

    @Test func swallowedStatementErrorDoesNotSilentlyCommit() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let pool = db.pool(max: 1)
        let error = try #require(throws: PostgresError.self) {
            try pool.transaction { connection in
                try Self.insert(connection, "d")
                _ = try? connection.execute("SELECT 1/0")
            }
        }
        #expect(error.sqlState == "25P02")
        #expect(try Self.count(pool, "d") == 0)
    }

    @Test func nestedTransactionIsRefusedAndOuterStillWorks() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let pool = db.pool(max: 1)
        try pool.withConnection { connection in
            try connection.transaction { connection in
                try Self.insert(connection, "e")
                #expect(throws: PostgresError.self) { try connection.transaction { _ in } }
                #expect(connection.isInTransaction)
            }
            #expect(!connection.isInTransaction)
        }
        #expect(try Self.count(pool, "e") == 1)
    }

    @Test func deferredConstraintFailingAtCommitRollsBack() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let pool = db.pool(max: 1)
        try pool.withConnection { connection in
            try connection.execute(
                "CREATE TABLE d (id int, CONSTRAINT d_once UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)")
        }
        let error = try #require(throws: PostgresError.self) {
            try pool.transaction { connection in
                try connection.execute("INSERT INTO d VALUES (1), (1)")
            }
        }
        #expect(error.kind == .uniqueViolation)
        #expect(error.constraint == "d_once")
        #expect(
            try pool.withConnection { try $0.query("SELECT count(*) AS n FROM d")[0].decode("n", as: Int.self) } == 0)
        #expect(pool.stats.idle == 1)
    }

    /// Two serializable transactions that each read what the other writes: Postgres aborts one with 40001,
    /// and the pool reruns it, so both bodies complete and the table holds both rows.
    @Test func poolRetriesSerializationFailures() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let pool = db.pool(max: 2)
        try pool.withConnection { try $0.execute("CREATE TABLE s (who text, seen int)") }
        let bothInside = DispatchGroup()
        bothInside.enter()
        bothInside.enter()
        let attempts = Attempts()
        let finished = Shared.onThreads(2) { i in
            do {
                try pool.transaction { connection in
                    let attempt = attempts.next()
                    try connection.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
                    let seen: Int = try connection.query("SELECT count(*) AS n FROM s")[0].decode("n")
                    if attempt <= 2 {
                        // Make the first two attempts overlap, so that one of them must fail.
                        bothInside.leave()
                        _ = bothInside.wait(timeout: .now() + 5)
                    }
                    try connection.execute("INSERT INTO s VALUES ($1, $2)", ["t\(i)", seen])
                }
            } catch {
                Issue.record("transaction \(i) failed: \(error)")
            }
        }
        #expect(finished)
        let rows = try pool.withConnection { try $0.query("SELECT seen FROM s ORDER BY seen") }
        #expect(try rows.map { try $0.decode("seen", as: Int.self) } == [0, 1])
        #expect(attempts.count == 3)
    }

    /// Two transactions lock two rows in opposite order: Postgres breaks the deadlock by aborting one with
    /// 40P01, the pool reruns it, and both updates land.
    @Test func poolRetriesDeadlockVictims() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let pool = db.pool(max: 2)
        try pool.withConnection { try $0.execute("CREATE TABLE k (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)") }
        try pool.withConnection { try $0.execute("INSERT INTO k (id) VALUES (1), (2)") }
        let bothLocked = DispatchGroup()
        bothLocked.enter()
        bothLocked.enter()
        let attempts = Attempts()
        let finished = Shared.onThreads(2) { i in
            do {
                try pool.transaction { connection in
                    let attempt = attempts.next()
                    try connection.execute("SET LOCAL deadlock_timeout = '50ms'")
                    let (first, second) = i == 0 ? (1, 2) : (2, 1)
                    try connection.execute("UPDATE k SET n = n + 1 WHERE id = $1", [first])
                    if attempt <= 2 {
                        bothLocked.leave()
                        _ = bothLocked.wait(timeout: .now() + 5)
                    }
                    try connection.execute("UPDATE k SET n = n + 1 WHERE id = $1", [second])
                }
            } catch {
                Issue.record("transaction \(i) failed: \(error)")
            }
        }
        #expect(finished)
        let counts = try pool.withConnection { try $0.query("SELECT n FROM k ORDER BY id") }
        #expect(try counts.map { try $0.decode("n", as: Int.self) } == [2, 2])
        #expect(attempts.count == 3)
    }

    final class Attempts: @unchecked Sendable {  // guarded by lock
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.withLock {
                value += 1; return value
            }
        }
        var count: Int { lock.withLock { value } }
    }
}
