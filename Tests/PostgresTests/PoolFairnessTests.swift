import Foundation
import TestSupport
import Testing

@testable import Postgres

/// Waiters are served in arrival order, and nobody barges past them.
@Suite struct PoolFairnessTests {
    final class Order: @unchecked Sendable {  // guarded by lock
        private let lock = NSLock()
        private var names: [String] = []
        func append(_ name: String) { lock.withLock { names.append(name) } }
        var all: [String] { lock.withLock { names } }
    }

    @Test func waitersAreServedFirstComeFirstServed() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 1, checkoutTimeout: .seconds(20))
        defer { pool.close() }
        let order = Order()
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        Thread {
            try? pool.withConnection { _ in
                holding.signal()
                _ = release.wait(timeout: .now() + 20)
            }
        }.start()
        #expect(holding.wait(timeout: .now() + 10) == .success)
        let done = DispatchGroup()
        for (i, name) in ["first", "second", "third", "fourth"].enumerated() {
            done.enter()
            Thread {
                do {
                    try pool.withConnection { connection in
                        order.append(name)
                        _ = try connection.query("SELECT 1")
                    }
                } catch {
                    Issue.record("\(name): \(error)")
                }
                done.leave()
            }.start()
            // Line them up one by one, so their arrival order is known.
            #expect(eventually { pool.waitingCount == i + 1 })
        }
        release.signal()
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(order.all == ["first", "second", "third", "fourth"])
        #expect(pool.waitingCount == 0)
    }

    @Test func newcomerDoesNotBargePastAWaiter() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 1, checkoutTimeout: .seconds(20))
        defer { pool.close() }
        let order = Order()
        let waiterDone = DispatchSemaphore(value: 0)
        try pool.withConnection { _ in
            Thread {
                try? pool.withConnection { _ in order.append("waiter") }
                waiterDone.signal()
            }.start()
            #expect(eventually { pool.waitingCount == 1 })
        }
        // The connection is back in the pool, but the waiter was first: the newcomer goes second.
        try pool.withConnection { _ in order.append("newcomer") }
        #expect(waiterDone.wait(timeout: .now() + 10) == .success)
        #expect(order.all == ["waiter", "newcomer"])
    }

    @Test func timedOutWaiterLeavesTheLine() throws {
        let pool = ConnectionPool(
            url: TestEnvironment.databaseURL, maxConnections: 1, checkoutTimeout: .milliseconds(100))
        defer { pool.close() }
        try pool.withConnection { _ in
            #expect(throws: PostgresError.self) { try pool.withConnection { _ in } }
            #expect(pool.waitingCount == 0)
        }
        try pool.withConnection { _ in }  // not blocked behind a stale ticket
    }

    @Test func manyWaitersOnATinyPoolAllGetServed() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 2, checkoutTimeout: .seconds(30))
        defer { pool.close() }
        let failures = Order()
        let finished = Shared.onThreads(16) { i in
            for _ in 0..<20 {
                do {
                    try pool.withConnection { _ = try $0.query("SELECT 1") }
                } catch {
                    failures.append("\(i): \(error)")
                }
            }
        }
        #expect(finished)
        #expect(failures.all.isEmpty)
        #expect(pool.stats.inUse == 0 && pool.waitingCount == 0)
    }

    /// Holds the pool's only connection on another thread until `release` is signalled.
    static func hold(_ pool: ConnectionPool, holding: DispatchSemaphore, release: DispatchSemaphore) {
        Thread {
            try? pool.withConnection { _ in
                holding.signal()
                _ = release.wait(timeout: .now() + 20)
            }
        }.start()
    }

    @Test func returnedConnectionGoesStraightToTheWaiter() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 1, checkoutTimeout: .seconds(20))
        defer { pool.close() }
        let got = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        try pool.withConnection { _ in
            Thread {
                try? pool.withConnection { _ in
                    got.signal()
                    _ = release.wait(timeout: .now() + 20)
                }
                done.signal()
            }.start()
            #expect(eventually { pool.waitingCount == 1 })
        }
        // Handed over at check-in: it never sits idle, whether or not the waiter has woken up yet.
        #expect(pool.stats == (inUse: 1, idle: 0, max: 1))
        #expect(pool.waitingCount == 0)
        #expect(got.wait(timeout: .now() + 10) == .success)
        release.signal()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(pool.stats == (inUse: 0, idle: 1, max: 1))
    }

    @Test func closingThePoolReleasesItsWaitersAtOnce() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 1, checkoutTimeout: .seconds(30))
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        Self.hold(pool, holding: holding, release: release)
        #expect(holding.wait(timeout: .now() + 10) == .success)
        let failed = DispatchSemaphore(value: 0)
        let kinds = Order()
        for _ in 0..<3 {
            Thread {
                do {
                    try pool.withConnection { _ in kinds.append("served") }
                } catch let error as PostgresError {
                    kinds.append("\(error.kind)")
                } catch {
                    kinds.append("\(error)")
                }
                failed.signal()
            }.start()
        }
        #expect(eventually { pool.waitingCount == 3 })
        pool.close()
        // Far sooner than the 30 s checkout timeout: each waiter is told the pool closed.
        for _ in 0..<3 { #expect(failed.wait(timeout: .now() + 10) == .success) }
        #expect(kinds.all == ["poolTimeout", "poolTimeout", "poolTimeout"])
        #expect(pool.waitingCount == 0)
        release.signal()
    }

    @Test func slotOfABrokenConnectionGoesToTheWaiter() throws {
        let pool = ConnectionPool(url: TestEnvironment.databaseURL, maxConnections: 1, checkoutTimeout: .seconds(20))
        defer { pool.close() }
        let waiterPID = Order()
        let done = DispatchSemaphore(value: 0)
        var heldPID: Int32 = 0
        let error = try #require(throws: PostgresError.self) {
            try pool.withConnection { connection in
                heldPID = try PoolTests.backendPID(connection)
                Thread {
                    do {
                        let pid = try pool.withConnection(PoolTests.backendPID)
                        waiterPID.append(String(pid))
                    } catch {
                        waiterPID.append("\(error)")
                    }
                    done.signal()
                }.start()
                #expect(eventually { pool.waitingCount == 1 })
                try PoolTests.terminate(heldPID)
                _ = try connection.query("SELECT 1")
            }
        }
        #expect(error.kind == .connectionLost)
        // The dead connection's slot was handed on: the waiter opened a fresh connection in it.
        #expect(done.wait(timeout: .now() + 10) == .success)
        let pid = try #require(waiterPID.all.first.flatMap { Int32($0) })
        #expect(pid != heldPID)
        #expect(pool.stats == (inUse: 0, idle: 1, max: 1))
    }
}
