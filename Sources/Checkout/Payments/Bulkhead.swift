import Synchronization

/// A non-blocking cap on how many callers may be inside one class of work at once.
///
/// Why: Stripe-bound requests (create, retry-session, admin sync and mark-paid, a by-session refresh)
/// can each hold a handler thread for the whole Stripe retry budget while Stripe hangs. Without a cap,
/// enough of them take every thread and webhooks (how money arrives) and `/healthz` (how a load
/// balancer decides to kill the instance) queue behind them. With one, a caller over the cap is
/// turned away at once and the remaining threads keep serving everything else.
public final class Bulkhead: Sendable {
    /// Callers allowed inside at once.
    public let limit: Int
    private let inside = Atomic<Int>(0)

    /// A bulkhead letting at most `limit` (at least 1) callers in.
    public init(limit: Int) { self.limit = max(1, limit) }

    /// Callers inside now.
    public var count: Int { inside.load(ordering: .relaxed) }

    /// Enters when there is room (then the caller must `leave()` once); false at once when full.
    public func tryEnter() -> Bool {
        var current = inside.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = inside.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Leaves after a successful `tryEnter()`.
    public func leave() {
        inside.subtract(1, ordering: .acquiringAndReleasing)
    }
}
