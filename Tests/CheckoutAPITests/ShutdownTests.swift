import Foundation
import Synchronization
import Testing

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
}
