import HTTPServer
import Testing

@testable import CheckoutAPI

@Suite("Metrics: Prometheus text with bounded labels")
struct MetricsTextTests {
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
