import Foundation
import Postgres
import TestSupport
import Testing

/// A pool survives `pg_ctl restart`. Runs against a private cluster, because restarting the shared one would
/// break every test running in parallel.
@Suite(.serialized) struct RestartTests {
    @Test func poolSurvivesARestart() throws {
        let setup = ContinuousClock.now
        let cluster = try PrivateCluster.start()
        defer { cluster.stop() }
        let started = ContinuousClock.now - setup
        let pool = ConnectionPool(url: cluster.url, maxConnections: 2)
        defer { pool.close() }
        let before = try pool.withConnection(PoolTests.backendPID)

        let restartBegan = ContinuousClock.now
        try cluster.restart()
        let restart = ContinuousClock.now - restartBegan

        // The very next query succeeds, on a fresh connection.
        let after = try pool.withConnection(PoolTests.backendPID)
        #expect(after != before)
        #expect(pool.stats.inUse == 0)
        print("RestartTests: private cluster start \(started), restart \(restart)")
    }

    @Test func connectionHeldAcrossARestartFailsAsLostAndThePoolHeals() throws {
        let cluster = try PrivateCluster.start()
        defer { cluster.stop() }
        let pool = ConnectionPool(url: cluster.url, maxConnections: 1)
        defer { pool.close() }
        let error = try #require(throws: PostgresError.self) {
            try pool.withConnection { connection in
                _ = try connection.query("SELECT 1")
                try cluster.restart()
                _ = try connection.query("SELECT 1")
            }
        }
        #expect(error.kind == .connectionLost)
        #expect(try pool.withConnection { try $0.query("SELECT 2 AS two")[0].decode("two", as: Int.self) } == 2)
    }

    @Test func queriesWhileTheServerIsDownFailFastThenRecover() throws {
        let cluster = try PrivateCluster.start()
        defer { cluster.stop() }
        let pool = ConnectionPool(url: cluster.url, maxConnections: 1, checkoutTimeout: .seconds(2))
        defer { pool.close() }
        _ = try pool.withConnection(PoolTests.backendPID)
        cluster.stopServer()
        let started = ContinuousClock.now
        let error = try #require(throws: PostgresError.self) { try pool.withConnection(PoolTests.backendPID) }
        #expect(error.kind == .connectFailed || error.kind == .connectionLost)
        #expect(ContinuousClock.now - started < .seconds(6))
        try cluster.startServer()
        _ = try pool.withConnection(PoolTests.backendPID)
    }
}
