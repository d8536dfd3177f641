import Foundation
import HTTPServer
import Stripe
import Testing

/// A Retry-After that does not fit a Duration (inf, 1e300, nan, huge) is ignored or capped; it must never trap.
@Suite("StripeClient: hostile Retry-After values")
struct RetryAfterTests {
    @Test(
        "a 429 with an absurd Retry-After is retried within the cap, never a crash",
        arguments: ["inf", "Infinity", "1e300", "1e18", "nan", "-inf", "-1", "9223372036854775807"])
    func absurdRetryAfter(_ value: String) throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0)) { _ in
            var response = HTTPResponse.json(
                bytes: Array(#"{"error":{"type":"invalid_request_error","message":"slow down"}}"#.utf8),
                status: HTTPStatus(code: 429))
            response.headers.replaceOrAdd("Retry-After", value)
            return response
        }
        try server.start()
        defer { server.shutdown() }
        let client = StripeClient(
            secretKey: "sk_test_retryafter", apiBase: URL(string: "http://127.0.0.1:\(server.port)")!,
            timeout: .seconds(5), maxRetries: 1, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(2),
            maxRetryAfter: .milliseconds(50))
        let start = ContinuousClock.now
        #expect {
            _ = try client.retrieveCheckoutSession("cs_test_x")
        } throws: { error in
            guard case .api(let api) = error as? StripeError else { return false }
            return api.status == 429
        }
        #expect(ContinuousClock.now - start < .seconds(4))
    }
}
