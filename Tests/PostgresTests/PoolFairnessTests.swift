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
}
