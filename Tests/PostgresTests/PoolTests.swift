import Foundation
import Postgres
import TestSupport
import Testing

/// The pool's bounds and healing: deadlines instead of endless waits, and dead connections replaced.
@Suite struct PoolTests {
    static func backendPID(_ connection: Connection) throws -> Int32 {
        try connection.query("SELECT pg_backend_pid() AS pid")[0].decode("pid")
    }

    /// Ends `pid`'s session from another connection and waits until the server has let it go.
    static func terminate(_ pid: Int32) throws {
        let killer = try Connection(url: TestEnvironment.databaseURL)
        #expect(try killer.query("SELECT pg_terminate_backend($1) AS ok", [pid])[0].decode("ok", as: Bool.self))
        let gone = try eventually {
            try killer.query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1", [pid])[0].decode("n") == 0
        }
        #expect(gone)
    }

    @Test func exhaustedPoolAnswersWithinItsDeadline() throws {
        let pool = ConnectionPool(
            url: TestEnvironment.databaseURL, maxConnections: 1, checkoutTimeout: .milliseconds(200))
        defer { pool.close() }
        try pool.withConnection { _ in
            let started = ContinuousClock.now
            let error = try #require(throws: PostgresError.self) { try pool.withConnection { _ in } }
            let waited = ContinuousClock.now - started
            #expect(error.kind == .poolTimeout)
            #expect(error.description == "timed out waiting for a database connection")
            #expect(waited >= .milliseconds(190))
            #expect(waited < .seconds(2))
            #expect(pool.stats == (inUse: 1, idle: 0, max: 1))
        }
        #expect(pool.stats == (inUse: 0, idle: 1, max: 1))
    }

    @Test func waiterGetsTheConnectionWhenItIsReturned() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 1, checkoutTimeout: .seconds(10))
        defer { pool.close() }
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let holder = Thread {
            try? pool.withConnection { _ in
                holding.signal()
                _ = release.wait(timeout: .now() + 10)
            }
        }
        holder.start()
        #expect(holding.wait(timeout: .now() + 10) == .success)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { release.signal() }
        let started = ContinuousClock.now
        #expect(try pool.withConnection { try $0.query("SELECT 1 AS one")[0].decode("one", as: Int.self) } == 1)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func manyThreadsNeverExceedTheMaximum() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 3, checkoutTimeout: .seconds(30))
        defer { pool.close() }
        let peak = Peak()
        let failures = Peak()
        let finished = Shared.onThreads(8) { _ in
            for _ in 0..<25 {
                do {
                    try pool.withConnection { connection in
                        peak.record(pool.stats.inUse)
                        _ = try connection.query("SELECT pg_sleep(0.001)")
                    }
                } catch {
                    failures.record(1)
                }
            }
        }
        #expect(finished)
        #expect(failures.value == 0)
        #expect(peak.value <= 3)
        #expect(pool.stats.inUse == 0)
        #expect(pool.stats.idle <= 3)
    }

    @Test func idleConnectionKilledByTheServerIsReplacedTransparently() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 1)
        defer { pool.close() }
        let first = try pool.withConnection(Self.backendPID)
        try Self.terminate(first)
        let second = try pool.withConnection(Self.backendPID)
        #expect(second != first)
        #expect(pool.stats == (inUse: 0, idle: 1, max: 1))
    }

    @Test func connectionThatBreaksInUseIsDiscardedAndItsSlotFreed() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 1)
        defer { pool.close() }
        let error = try #require(throws: PostgresError.self) {
            try pool.withConnection { connection in
                try Self.terminate(try Self.backendPID(connection))
                _ = try connection.query("SELECT 1")
            }
        }
        #expect(error.kind == .connectionLost)
        #expect(pool.stats == (inUse: 0, idle: 0, max: 1))
        #expect(try pool.withConnection { try $0.query("SELECT 1 AS one")[0].decode("one", as: Int.self) } == 1)
    }

    @Test func connectionLeftInsideATransactionIsNotReused() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 1)
        defer { pool.close() }
        let pid = try pool.withConnection { connection in
            try connection.execute("BEGIN")
            return try Self.backendPID(connection)
        }
        #expect(pool.stats.idle == 0)
        #expect(try pool.withConnection(Self.backendPID) != pid)
    }

    @Test func closedPoolRefusesCheckouts() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 2)
        _ = try pool.withConnection(Self.backendPID)
        pool.close()
        #expect(pool.stats.idle == 0)
        let error = try #require(throws: PostgresError.self) { try pool.withConnection { _ in } }
        #expect(error.kind == .poolTimeout)
    }

    @Test func connectFailureIsReportedAndFreesTheSlot() throws {
        let pool = ConnectionPool(url: "postgres://postgres@127.0.0.1:1/x", maxConnections: 1)
        for _ in 0..<2 {
            let error = try #require(throws: PostgresError.self) { try pool.withConnection { _ in } }
            #expect(error.kind == .connectFailed)
        }
        #expect(pool.stats == (inUse: 0, idle: 0, max: 1))
    }

    final class Peak: @unchecked Sendable {  // guarded by lock
        private let lock = NSLock()
        private var current = 0
        func record(_ v: Int) { lock.withLock { current = Swift.max(current, v) } }
        var value: Int { lock.withLock { current } }
    }

    static func viaProxy() throws -> (FaultyProxy, String) {
        var components = try #require(URLComponents(string: TestEnvironment.databaseURL))
        let proxy = try FaultyProxy(upstreamPort: try #require(components.port))
        components.port = proxy.port
        return (proxy, try #require(components.string))
    }

    /// A reused connection that dies on its first statement (invisible to the idle check): the body runs
    /// again on a fresh connection and the caller sees success.
    @Test func reusedConnectionDyingOnFirstStatementIsRetriedOnce() throws {
        let (proxy, url) = try Self.viaProxy()
        defer { proxy.stop() }
        let pool = ConnectionPool(url: url, maxConnections: 1)
        defer { pool.close() }
        let first = try pool.withConnection(Self.backendPID)
        proxy.cutExistingOnNextRequest()
        var calls = 0
        let second = try pool.withConnection { connection in
            calls += 1
            return try Self.backendPID(connection)
        }
        #expect(calls == 2)
        #expect(second != first)
    }

    /// No retry once a statement succeeded (it may have had effects), nor on a brand-new connection.
    @Test func noRetryAfterAStatementSucceededOrOnAFreshConnection() throws {
        let (proxy, url) = try Self.viaProxy()
        defer { proxy.stop() }
        let pool = ConnectionPool(url: url, maxConnections: 1)
        defer { pool.close() }
        var calls = 0
        let afterStatement = try #require(throws: PostgresError.self) {
            try pool.withConnection { connection in
                calls += 1
                _ = try connection.query("SELECT 1")
                proxy.cutExistingOnNextRequest()
                _ = try connection.query("SELECT 1")
            }
        }
        #expect(afterStatement.kind == .connectionLost)
        #expect(calls == 1)
        calls = 0
        let fresh = try #require(throws: PostgresError.self) {
            try pool.withConnection { connection in
                calls += 1
                proxy.cutExistingOnNextRequest()
                _ = try connection.query("SELECT 1")
            }
        }
        #expect(fresh.kind == .connectionLost)
        #expect(calls == 1)
        #expect(pool.stats == (inUse: 0, idle: 0, max: 1))
    }

    @Test func transactionRetriesAreBounded() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 1, maxTransactionRetries: 3)
        defer { pool.close() }
        var calls = 0
        let error = try #require(throws: PostgresError.self) {
            try pool.transaction { _ in
                calls += 1
                throw PostgresError(.deadlockDetected, sqlState: "40P01")
            }
        }
        #expect(error.kind == .deadlockDetected)
        #expect(calls == 4)
        calls = 0
        #expect(throws: PostgresError.self) {
            try pool.transaction { _ in
                calls += 1
                throw PostgresError(.uniqueViolation, sqlState: "23505")
            }
        }
        #expect(calls == 1)
    }
}
