import Foundation
import Synchronization
import Testing
import TestSupport

@testable import CheckoutAPI

@Suite("RunningApp: graceful stop")
struct ShutdownTests {
    @Test("background workers stop while HTTP drains, not one after another")
    func stopsConcurrently() {
        // Three parties (the HTTP drain and two background stops) meet at a rendezvous: run one after
        // another, the first would wait out its deadline alone.
        let arrived = Atomic<Int>(0)
        let met = Mutex<[Bool]>([])
        @Sendable func party() {
            arrived.add(1, ordering: .acquiringAndReleasing)
            let deadline = ContinuousClock.now + .seconds(5)
            while arrived.load(ordering: .acquiring) < 3, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.005)
            }
            met.withLock { $0.append(arrived.load(ordering: .acquiring) == 3) }
        }
        RunningApp.stopConcurrently([party, party], drain: party)
        #expect(met.withLock { $0 } == [true, true, true])
    }

    @Test("DRAIN_DELAY: after a stop request /readyz answers 503 draining while requests are still served")
    func drainDelay() throws {
        let harness = try AppHarness.start { $0.drainDelay = 2 }
        defer { harness.database.drop() }
        #expect(try harness.request("GET", "/readyz").status == 200)
        let requested = ContinuousClock.now
        let running = harness.running
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            running.stop()
            stopped.signal()
        }
        var readyz = try harness.request("GET", "/readyz")
        #expect(
            try eventually(timeout: .seconds(5)) {
                readyz = try harness.request("GET", "/readyz")
                return readyz.status == 503
            })
        #expect(String(decoding: readyz.body, as: UTF8.self).contains(#""code":"draining""#))
        // Still serving everything else until the delay is over.
        #expect(try harness.request("GET", "/healthz").status == 200)
        #expect(try harness.request("GET", "/api/products").status == 200)
        #expect(ContinuousClock.now - requested < .seconds(2), "the checks above ran after the delay")
        #expect(stopped.wait(timeout: .now() + 30) == .success)
        #expect(ContinuousClock.now - requested >= .seconds(2))
        #expect(throws: (any Error).self) { try harness.request("GET", "/healthz") }
    }
}
