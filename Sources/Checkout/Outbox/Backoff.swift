/// Retry delays of the outbox: exponential with "equal jitter".
///
/// Attempt `n` (1-based, the attempt that just failed) waits `d/2 + random(0…d/2)` where
/// `d = min(cap, base · 2^(n-1))`: delays grow exponentially, never exceed the cap, never collapse to
/// zero (so a failing supplier is not hammered), and spread instances that failed together.
public struct Backoff: Sendable, Equatable {
    /// Delay before the first retry (seconds, before jitter).
    public var base: Double
    /// Largest delay (seconds).
    public var cap: Double

    /// Negative values count as 0; a cap below the base is raised to the base.
    public init(base: Double, cap: Double) {
        self.base = max(0, base)
        self.cap = max(self.base, cap)
    }

    /// The un-jittered delay after attempt `attempt` failed.
    public func ceiling(afterAttempt attempt: Int) -> Double {
        let exponent = Double(min(max(attempt - 1, 0), 62))
        let raw = base * Double(sign: .plus, exponent: Int(exponent), significand: 1)
        return min(cap, raw.isFinite ? raw : cap)
    }

    /// The jittered delay after attempt `attempt` failed; `unit` is a random number in 0…1.
    public func delay(afterAttempt attempt: Int, unit: Double) -> Double {
        let d = ceiling(afterAttempt: attempt)
        return d / 2 + d / 2 * min(max(unit, 0), 1)
    }

    /// The jittered delay with the system random generator.
    public func delay(afterAttempt attempt: Int) -> Double {
        delay(afterAttempt: attempt, unit: Double.random(in: 0...1))
    }
}
