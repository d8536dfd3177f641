import HTTPServer
import Testing

@testable import CheckoutAPI

@Suite("API building blocks")
struct HTTPPiecesTests {
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

    @Test(
        "constant-time compare is still a compare",
        arguments: [
            ("token", "token", true), ("token", "tokeN", false), ("token", "token2", false), ("", "", true),
            ("", "x", false), ("abc", "", false),
        ])
    func constantTime(a: String, b: String, equal: Bool) {
        #expect(ConstantTime.equals(a.utf8, b.utf8) == equal)
    }

    @Test(
        "JSON media types",
        arguments: [
            ("application/json", true), ("application/json; charset=utf-8", true), ("Application/JSON", true),
            ("application/json;charset=UTF-8", true), ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
            ("application/jsonp", false), ("multipart/form-data; boundary=x", false), ("", false),
        ])
    func jsonMediaType(value: String, isJSON: Bool) {
        #expect(JSONBodyPolicy.isJSON(value) == isJSON)
    }

    @Test("metrics render as Prometheus text with bounded labels")
    func metricsText() {
        let metrics = Metrics()
        metrics.recordRequest(method: "GET", route: "/healthz", status: 200, seconds: 0.003)
        metrics.recordRequest(method: "GET", route: "/healthz", status: 200, seconds: 0.2)
        metrics.recordWebhook(type: "checkout.session.completed", result: "applied")
        metrics.recordWebhook(type: "weird\"type{}", result: "ignored")
        for i in 0..<500 { metrics.recordRequest(method: "BREW\(i)", route: "unmatched", status: 404, seconds: 0) }
        let text = metrics.render(gauges: [("g", "help", [([("a", "q\"x")], 1.5)])])
        #expect(text.contains(#"http_requests_total{method="GET",route="/healthz",status="200"} 2"#))
        #expect(text.contains(#"http_request_duration_seconds_bucket{route="/healthz",le="0.005"} 1"#))
        #expect(text.contains(#"http_request_duration_seconds_bucket{route="/healthz",le="+Inf"} 2"#))
        #expect(text.contains(#"webhook_events_total{type="checkout.session.completed",result="applied"} 1"#))
        #expect(text.contains(#"webhook_events_total{type="other",result="ignored"} 1"#))
        #expect(text.contains(#"g{a="q\"x"} 1.5"#))
        #expect(metrics.requestCount(route: "/healthz") == 2)
        #expect(text.contains(#"http_requests_total{method="other",route="unmatched",status="404"} 500"#))
        #expect(!text.contains("BREW"))
    }
}
