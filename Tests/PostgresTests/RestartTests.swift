import Foundation
import Postgres
import TestSupport
import Testing

/// A pool survives `pg_ctl restart` and outages. Runs against a private cluster, because restarting the shared
/// one would break every test running in parallel; one cluster for all phases, since initdb is the slow part.
@Suite(.serialized) struct RestartTests {
    @Test func poolSurvivesRestartsAndOutages() throws {
        let setup = ContinuousClock.now
        let cluster = try PrivateCluster.start()
        defer { cluster.stop() }
        let started = ContinuousClock.now - setup
        let pool = ConnectionPool(url: cluster.url, maxConnections: 2, checkoutTimeout: .seconds(2))
        defer { pool.close() }

        // 1. Idle pooled connections die with the restart; the very next query succeeds on a fresh one.
        let before = try pool.withConnection(PoolTests.backendPID)
        let restartBegan = ContinuousClock.now
        try cluster.restart()
        let restart = ContinuousClock.now - restartBegan
        let after = try pool.withConnection(PoolTests.backendPID)
        #expect(after != before)
        #expect(pool.stats.inUse == 0)

        // 2. A connection in use across a restart fails as `.connectionLost`, is discarded, and the pool heals.
        let lost = try #require(throws: PostgresError.self) {
            try pool.withConnection { connection in
                _ = try connection.query("SELECT 1")
                try cluster.restart()
                _ = try connection.query("SELECT 1")
            }
        }
        #expect(lost.kind == .connectionLost)
        #expect(lost.description == "database connection lost" || lost.sqlState?.hasPrefix("57P0") == true)
        #expect(try pool.withConnection { try $0.query("SELECT 2 AS two")[0].decode("two", as: Int.self) } == 2)

        // 3. While the server is down, checkouts fail fast (connection refused), then recover when it is back.
        cluster.stopServer()
        let downSince = ContinuousClock.now
        let down = try #require(throws: PostgresError.self) { try pool.withConnection(PoolTests.backendPID) }
        #expect(down.kind == .connectFailed)
        #expect(ContinuousClock.now - downSince < .seconds(6))
        #expect(pool.stats.inUse == 0)
        try cluster.startServer()
        _ = try pool.withConnection(PoolTests.backendPID)

        print("RestartTests: private cluster initdb+start \(started), pg_ctl restart \(restart)")
    }
}
