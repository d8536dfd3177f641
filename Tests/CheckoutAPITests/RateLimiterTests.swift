import Synchronization
import Testing

@testable import CheckoutAPI

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let value = Mutex<Double>(1000)
    func advance(_ seconds: Double) { value.withLock { $0 += seconds } }
    var now: Double { value.withLock { $0 } }
}

@Suite("RateLimiter")
struct RateLimiterTests {
    @Test("a burst is allowed, then Retry-After says when the next token arrives")
    func burstThenWait() {
        let clock = ManualClock()
        let limiter = RateLimiter(perMinute: 60, burst: 3, now: { clock.now })
        #expect(limiter.acquire("a") == nil)
        #expect(limiter.acquire("a") == nil)
        #expect(limiter.acquire("a") == nil)
        #expect(limiter.acquire("a") == 1)
        #expect(limiter.acquire("b") == nil)  // clients are independent
        clock.advance(1)
        #expect(limiter.acquire("a") == nil)
        #expect(limiter.acquire("a") == 1)
    }

    @Test("a slow rate gives a longer Retry-After")
    func slowRate() {
        let clock = ManualClock()
        let limiter = RateLimiter(perMinute: 6, burst: 1, now: { clock.now })
        #expect(limiter.acquire("a") == nil)
        #expect(limiter.acquire("a") == 10)
        clock.advance(10)
        #expect(limiter.acquire("a") == nil)
    }

    @Test("memory stays bounded under many client addresses")
    func bounded() {
        let clock = ManualClock()
        let limiter = RateLimiter(perMinute: 60, burst: 5, maxClients: 100, now: { clock.now })
        for i in 0..<10_000 { _ = limiter.acquire("10.0.\(i / 256).\(i % 256)") }
        #expect(limiter.trackedClients <= 100)
    }

    @Test(
        "client key drops the port",
        arguments: [("127.0.0.1:5555", "127.0.0.1"), ("[::1]:80", "::1"), ("::1", "::1"), ("unix", "unix")])
    func clientKey(remote: String, key: String) {
        #expect(RateLimitMiddleware.clientKey(remote) == key)
    }
}
