import Dispatch
import Foundation
import Synchronization

/// Runs a blocking closure every `interval` seconds on its own thread until stopped (the background
/// reconciler). The first run is one interval after start; `stop()` interrupts the wait at once and
/// waits (bounded) for a run in progress.
final class PeriodicTask: Sendable {
    private let interval: Double
    private let name: String
    private let body: @Sendable () -> Void
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, interval: Double, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.interval = interval
        self.body = body
    }

    func start() {
        let thread = Thread { [self] in
            while !stopping.load(ordering: .acquiring) {
                _ = wake.wait(timeout: .now() + interval)
                if stopping.load(ordering: .acquiring) { break }
                body()
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the loop; returns false when a run was still going after `timeout` seconds.
    @discardableResult
    func stop(timeout: Double) -> Bool {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return true }
        wake.signal()
        return finished.wait(timeout: .now() + timeout) == .success
    }
}
