import CheckoutAPI
import Foundation
import Testing
import TestSupport

@Suite("/metrics: the pool's waiting threads")
struct PoolWaitingMetricTests {
    @Test("db_pool_waiting counts threads queued for a connection, and goes back to 0")
    func waitingGauge() throws {
        let h = try AppHarness.start { $0.dbPoolSize = 1 }
        defer { h.stop() }
        let pool = h.app.pool
        let release = DispatchSemaphore(value: 0)
        let holderDone = DispatchSemaphore(value: 0)
        let waiterDone = DispatchSemaphore(value: 0)
        Thread {
            _ = try? pool.withConnection { _ in release.wait() }
            holderDone.signal()
        }.start()
        #expect(eventually { pool.stats.inUse == 1 })
        Thread {
            _ = try? pool.withConnection { _ in }
            waiterDone.signal()
        }.start()
        #expect(eventually { pool.waitingCount >= 1 })
        // The scrape reads the gauge first, then waits (bounded) for a connection for its own gauges.
        let busy = try PrometheusExposition.parse(try h.request("GET", "/metrics").text)
        #expect(busy.types["db_pool_waiting"] == "gauge")
        #expect((busy.value("db_pool_waiting") ?? 0) >= 1, "the queued thread is counted")
        release.signal()
        #expect(holderDone.wait(timeout: .now() + 10) == .success)
        #expect(waiterDone.wait(timeout: .now() + 10) == .success)
        #expect(eventually { pool.waitingCount == 0 })
        let idle = try PrometheusExposition.parse(try h.request("GET", "/metrics").text)
        #expect(idle.value("db_pool_waiting") == 0)
    }
}
