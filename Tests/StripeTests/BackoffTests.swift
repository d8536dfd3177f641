import Foundation
import Testing

@testable import Stripe

@Suite("Client backoff")
struct BackoffTests {
    /// Full jitter: every delay lies in 0 … min(max, initial × 2ⁿ), and the spread is real (not constant).
    @Test(arguments: 0..<6)
    func fullJitterStaysWithinTheExponentialCap(attempt: Int) {
        let c = StripeClient(
            secretKey: "sk_test_x", initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(1000))
        let cap = min(1000, 100 * (1 << attempt))
        let samples = (0..<200).map { _ in c.backoff(attempt: attempt) }
        #expect(samples.allSatisfy { $0 >= .zero && $0 <= .milliseconds(cap) })
        #expect(Set(samples).count > 10)
        #expect(samples.contains { $0 > .milliseconds(cap / 2) })
    }

    @Test func zeroBackoffIsZero() {
        let c = StripeClient(secretKey: "sk_test_x", initialBackoff: .zero, maxBackoff: .zero)
        #expect(c.backoff(attempt: 3) == .zero)
    }

    @Test func retryabilityTable() {
        func api(_ status: Int) -> StripeError { .api(StripeAPIError(status: status, type: "x")) }
        #expect(StripeError.timeout.isRetryable)
        #expect(StripeError.transport("reset").isRetryable)
        #expect(!StripeError.decoding("bad").isRetryable)
        for s in [409, 429, 500, 502, 503, 504] { #expect(api(s).isRetryable, "\(s)") }
        for s in [400, 401, 402, 403, 404, 424] { #expect(!api(s).isRetryable, "\(s)") }
    }
}
