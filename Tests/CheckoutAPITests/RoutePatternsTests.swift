import HTTPServer
import Testing

@testable import CheckoutAPI

@Suite("RoutePatterns: metric route labels are patterns")
struct RoutePatternsTests {
    static let patterns = RoutePatterns([
        "/api/orders/by-session/:sessionId", "/api/orders/:orderId/retry-session", "/api/admin/orders/:id",
        "/api/admin/orders", "/healthz", "/api/admin/orders/:id/sync",
    ])

    @Test(
        "route labels are patterns, never raw paths",
        arguments: [
            ("/api/orders/by-session/cs_123", "/api/orders/by-session/:sessionId"),
            ("/api/orders/5b0f/retry-session", "/api/orders/:orderId/retry-session"),
            ("/api/admin/orders", "/api/admin/orders"),
            ("/api/admin/orders/abc", "/api/admin/orders/:id"),
            ("/api/admin/orders/abc/sync", "/api/admin/orders/:id/sync"),
            ("/healthz", "/healthz"),
            ("/nope", "unmatched"),
            ("/api/admin/orders/abc/sync/extra", "unmatched"),
        ])
    func routeLabel(path: String, label: String) {
        #expect(Self.patterns.label(for: path) == label)
    }
}
