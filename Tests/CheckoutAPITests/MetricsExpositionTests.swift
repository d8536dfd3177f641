import CheckoutAPI
import Foundation
import Testing
import TestSupport

@Suite("/metrics: strict Prometheus text with every operational family")
struct MetricsExpositionTests {
    @Test(
        "the strict parser rejects what Prometheus would reject",
        arguments: [
            "x 1",  // no newline at the end
            "x 1\n",  // no TYPE
            "# TYPE x counter\nx{a=\"1\",a=\"2\"} 1\n",  // repeated label
            "# TYPE x counter\nx{a=\"\\q\"} 1\n",  // bad escape
            "# TYPE x counter\nx{1a=\"v\"} 1\n",  // bad label name
            "# TYPE x counter\nx one\n",  // bad value
            "# TYPE x counter\nx -1\n",  // negative counter
            "# TYPE x counter\nx 1\nx 2\n",  // repeated series
            "# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a=\"b\"} 1\n",  // not contiguous
            // not cumulative
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",  // +Inf ≠ count
            "# TYPE x counter\n# TYPE x counter\nx 1\n",  // second TYPE
        ])
    func rejects(text: String) {
        #expect(throws: PrometheusExposition.Invalid.self) { try PrometheusExposition.parse(text) }
    }

    @Test(
        "after a paid, fulfilled order: requests, latency, webhook, outbox, pool and attention families parse and move")
    func families() throws {
        let s = try Stack.start { OutboxWorkerTests.fast(&$0, supplier: nil, slack: nil) }
        defer { s.stop() }
        let (_, orderID) = try OutboxWorkerTests.paidOrder(s)
        try s.waitForOrder(orderID, "confirmed") { $0["status"] as? String == "confirmed" }
        try OutboxWorkerTests.waitIdle(s, kind: "notify")

        let first = try PrometheusExposition.parse(try s.app.request("GET", "/metrics").text)
        #expect(first.types["http_requests_total"] == "counter")
        #expect(first.types["http_request_duration_seconds"] == "histogram")
        #expect(first.types["webhook_events_total"] == "counter")
        #expect(first.types["outbox_jobs"] == "gauge")
        #expect(first.types["outbox_jobs_processed_total"] == "counter")
        #expect(first.types["db_pool_connections"] == "gauge")
        #expect(first.types["orders_needing_attention"] == "gauge")
        #expect(first.value("webhook_events_total", ["type": "checkout.session.completed", "result": "applied"]) == 1)
        #expect(first.value("outbox_jobs_processed_total", ["kind": "fulfill", "outcome": "done"]) == 1)
        #expect(first.value("outbox_jobs_processed_total", ["kind": "notify", "outcome": "done"]) == 1)
        for status in ["pending", "running", "failed"] {
            #expect(first.value("outbox_jobs", ["status": status]) == 0, "\(status)")
        }
        #expect(first.value("orders_needing_attention") == 0)
        #expect(first.value("db_pool_connections", ["state": "max"]) == 6)
        #expect(first.value("db_pool_connections", ["state": "in_use"]) != nil)
        #expect(
            (first.value("http_request_duration_seconds_count", ["route": "/api/payments/create-checkout-session"]) ?? 0)
                >= 1)

        let labels = ["method": "GET", "route": "/api/products", "status": "200"]
        let before = first.value("http_requests_total", labels) ?? 0
        for _ in 0..<3 { #expect(try s.app.request("GET", "/api/products").status == 200) }
        let second = try PrometheusExposition.parse(try s.app.request("GET", "/metrics").text)
        #expect(second.value("http_requests_total", labels) == before + 3)
        #expect(
            (second.value("http_request_duration_seconds_count", ["route": "/api/products"]) ?? 0)
                == (first.value("http_request_duration_seconds_count", ["route": "/api/products"]) ?? 0) + 3)
    }
}
