import CheckoutAPI
import Foundation
import Testing
import TestSupport

/// Edges of rate limiting, CORS and size limits that the operations suite does not already cover.
@Suite("Rate limit on every public POST; CORS and limits never on operations routes")
struct RateLimitAndCORSScopeTests {
    @Test("retry-session is rate limited per client like create (429 rate_limited + Retry-After); GET routes are not")
    func retrySessionRateLimited() throws {
        let h = try AppHarness.start {
            $0.rateLimitPerMinute = 1
            $0.rateLimitBurst = 2
        }
        defer { h.stop() }
        let path = "/api/orders/00000000-0000-4000-8000-000000000000/retry-session"
        var statuses: [Int] = []
        for _ in 0..<3 { statuses.append(try h.request("POST", path).status) }
        #expect(statuses[0] == 404 && statuses[1] == 404, "\(statuses)")
        #expect(statuses[2] == 429)
        let limited = try h.request("POST", path)
        #expect(limited.errorCode == "rate_limited")
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        for route in ["/api/products", "/healthz", "/metrics"] {
            for _ in 0..<4 { #expect(try h.request("GET", route).status == 200, "\(route)") }
        }
        // The webhook is Stripe's, not a browser's: never limited by the storefront's budget.
        #expect(try h.request("POST", "/api/payments/webhook").status == 400)
    }

    @Test("no CORS headers on operations routes, even for an allowed origin")
    func noCORSOnOperations() throws {
        let h = try AppHarness.start()
        defer { h.stop() }
        for route in ["/healthz", "/readyz", "/metrics", "/openapi.yaml"] {
            let r = try h.request("GET", route, headers: [("Origin", "http://shop.test")])
            #expect(r.status == 200, "\(route)")
            #expect(r.header("Access-Control-Allow-Origin") == nil, "\(route)")
        }
        let preflight = try h.request(
            "OPTIONS", "/api/orders/x/retry-session",
            headers: [("Origin", "http://shop.test"), ("Access-Control-Request-Method", "POST")])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "http://shop.test")
    }
}
