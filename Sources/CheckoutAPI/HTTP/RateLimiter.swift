import Dispatch
import Synchronization

/// A per-client token bucket (docs/API.md §2: 429 `rate_limited` with `Retry-After`).
///
/// Each client key (the peer address, without port) has a bucket of `burst` tokens refilled at
/// `perMinute / 60` tokens per second; a request takes one. Memory is bounded: at most `maxClients`
/// buckets; when full, buckets that have refilled completely (idle clients) are dropped first, and if
/// none has, the oldest-touched half is dropped (an attacker with many addresses resets others' buckets
/// rather than growing memory). Time is injectable for tests.
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    let ratePerSecond: Double
    let burst: Double
    let maxClients: Int
    private let now: @Sendable () -> Double
    private let buckets = Mutex<[String: Bucket]>([:])

    /// `perMinute` sustained requests per client with bursts of `burst`.
    public init(
        perMinute: Int, burst: Int, maxClients: Int = 50_000,
        now: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    ) {
        self.ratePerSecond = Double(perMinute) / 60
        self.burst = Double(max(1, burst))
        self.maxClients = maxClients
        self.now = now
    }

    /// Takes a token for `client`; nil when allowed, else the seconds to wait (≥ 1) for `Retry-After`.
    public func acquire(_ client: String) -> Int? {
        let t = now()
        return buckets.withLock { table in
            var bucket = table[client] ?? Bucket(tokens: burst, updated: t)
            bucket.tokens = min(burst, bucket.tokens + (t - bucket.updated) * ratePerSecond)
            bucket.updated = t
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                if table[client] == nil && table.count >= maxClients { evict(&table, now: t) }
                table[client] = bucket
                return nil
            }
            table[client] = bucket
            let wait = (1 - bucket.tokens) / max(ratePerSecond, 1e-9)
            return max(1, Int(wait.rounded(.up)))
        }
    }

    /// Number of tracked clients (for tests of the memory bound).
    public var trackedClients: Int { buckets.withLock { $0.count } }

    private func evict(_ table: inout [String: Bucket], now t: Double) {
        table = table.filter { _, b in min(burst, b.tokens + (t - b.updated) * ratePerSecond) < burst }
        if table.count >= maxClients {
            let keep = table.sorted { $0.value.updated > $1.value.updated }.prefix(maxClients / 2)
            table = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
