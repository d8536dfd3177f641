import CheckoutAPI
import Foundation
import Stripe
import Testing
import TestSupport

@Suite("Operations endpoints and edges (real server, real Postgres)")
struct OperationsTests {
    @Test("healthz, readyz, openapi.yaml; X-Request-Id echoed; 404 in the API error shape")
    func basics() throws {
        let h = try AppHarness.start()
        defer { h.stop() }
        let health = try h.request("GET", "/healthz", headers: [("X-Request-Id", "req-abc.1")])
        #expect(health.status == 200)
        #expect(health.header("X-Request-Id") == "req-abc.1")
        #expect(try health.json()["status"] as? String == "ok")
        #expect(try h.request("GET", "/readyz").status == 200)

        let spec = try h.request("GET", "/openapi.yaml")
        #expect(spec.status == 200)
        #expect(spec.header("Content-Type")?.hasPrefix("application/yaml") == true)
        let file = try Data(contentsOf: TestEnvironment.repoRoot.appendingPathComponent("openapi.yaml"))
        #expect(spec.body == Array(file))

        let missing = try h.request("GET", "/nope", headers: [("X-Request-Id", "bad id with spaces")])
        #expect(missing.status == 404)
        #expect(missing.errorCode == "not_found")
        let rid = try #require(missing.header("X-Request-Id"))
        #expect(rid != "bad id with spaces" && !rid.isEmpty)
        #expect(try missing.json()["requestId"] as? String == rid)
    }

    @Test("readyz answers 503 database_unavailable when Postgres is gone, healthz stays 200")
    func readyzWithoutDatabase() throws {
        let h = try AppHarness.start()
        defer { h.running.stop() }
        h.database.drop()  // ends the app's sessions (FORCE) and removes the database
        let ready = try h.request("GET", "/readyz")
        #expect(ready.status == 503)
        #expect(ready.errorCode == "database_unavailable")
        #expect(!ready.text.contains("SELECT"))
        #expect(try h.request("GET", "/healthz").status == 200)
    }

    @Test("admin auth: missing / wrong / malformed token → 401 with WWW-Authenticate; right token passes")
    func adminAuth() throws {
        let h = try AppHarness.start()
        defer { h.stop() }
        let cases: [([(String, String)], Int)] = [
            ([], 401),
            ([("Authorization", "Bearer wrong-token")], 401),
            ([("Authorization", "Bearer \(AppHarness.adminToken)x")], 401),
            ([("Authorization", "Basic \(AppHarness.adminToken)")], 401),
            ([("Authorization", "Bearer")], 401),
            ([("Authorization", AppHarness.adminToken)], 401),
        ]
        for (headers, status) in cases {
            let r = try h.request("GET", "/api/admin/orders", headers: headers)
            #expect(r.status == status, "\(headers)")
            #expect(r.errorCode == "unauthorized")
            #expect(r.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        }
        // Unknown admin paths are not revealed without a token either.
        #expect(try h.request("GET", "/api/admin/secret-thing").status == 401)
        let ok = try h.request(
            "GET", "/api/admin/secret-thing", headers: [("Authorization", "Bearer \(AppHarness.adminToken)")])
        #expect(ok.status == 404)
    }

    @Test("admin routes answer 503 admin_disabled when ADMIN_TOKEN is unset")
    func adminDisabled() throws {
        let h = try AppHarness.start { $0.adminToken = nil }
        defer { h.stop() }
        for headers in [[], [("Authorization", "Bearer anything")]] {
            let r = try h.request("GET", "/api/admin/orders", headers: headers)
            #expect(r.status == 503)
            #expect(r.errorCode == "admin_disabled")
        }
    }

    @Test("CORS: preflight and simple requests for allowed origins on public routes only")
    func cors() throws {
        let h = try AppHarness.start()
        defer { h.stop() }
        let preflight = try h.request(
            "OPTIONS", "/api/payments/create-checkout-session",
            headers: [("Origin", "http://shop.test"), ("Access-Control-Request-Method", "POST")])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "http://shop.test")
        #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Idempotency-Key") == true)
        let foreign = try h.request(
            "OPTIONS", "/api/payments/create-checkout-session",
            headers: [("Origin", "http://evil.test"), ("Access-Control-Request-Method", "POST")])
        #expect(foreign.header("Access-Control-Allow-Origin") == nil)
        let simple = try h.request("GET", "/api/products", headers: [("Origin", "http://shop.test")])
        #expect(simple.header("Access-Control-Allow-Origin") == "http://shop.test")
        let webhook = try h.request(
            "OPTIONS", "/api/payments/webhook",
            headers: [("Origin", "http://shop.test"), ("Access-Control-Request-Method", "POST")])
        #expect(webhook.header("Access-Control-Allow-Origin") == nil)
        let admin = try h.request("GET", "/api/admin/orders", headers: [("Origin", "http://shop.test")])
        #expect(admin.header("Access-Control-Allow-Origin") == nil)
    }

    @Test("rate limit on public POSTs: 429 rate_limited with Retry-After; GETs unaffected")
    func rateLimit() throws {
        let h = try AppHarness.start {
            $0.rateLimitPerMinute = 1
            $0.rateLimitBurst = 2
        }
        defer { h.stop() }
        var statuses: [Int] = []
        for _ in 0..<3 {
            statuses.append(try h.json("POST", "/api/payments/create-checkout-session", ["items": []]).status)
        }
        #expect(statuses[0] != 429 && statuses[1] != 429)
        let limited = try h.json("POST", "/api/payments/create-checkout-session", ["items": []])
        #expect(limited.status == 429)
        #expect(limited.errorCode == "rate_limited")
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(try h.request("GET", "/healthz").status == 200)
    }

    @Test("/metrics is Prometheus text and moves when requests are made")
    func metrics() throws {
        let h = try AppHarness.start()
        defer { h.stop() }
        func healthzCount() throws -> Int {
            let text = try h.request("GET", "/metrics").text
            let line = text.split(separator: "\n").first {
                $0.hasPrefix("http_requests_total{") && $0.contains(#"route="/healthz""#)
                    && $0.contains(#"status="200""#)
            }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        let before = try healthzCount()
        for _ in 0..<3 { _ = try h.request("GET", "/healthz") }
        #expect(try healthzCount() == before + 3)
        let text = try h.request("GET", "/metrics").text
        try PrometheusText.validate(text)
        #expect(text.contains("db_pool_connections{state=\"max\"} 6"))
        #expect(text.contains("outbox_jobs{status=\"pending\"}"))
        #expect(text.contains("orders_needing_attention "))
    }

    @Test("access log: one JSON line per request with request id, route pattern, status, duration")
    func accessLog() throws {
        let h = try AppHarness.start()
        defer { h.stop() }
        _ = try h.request("GET", "/api/orders/by-session/cs_test_123", headers: [("X-Request-Id", "trace-42")])
        let line = try #require(
            h.logs.lines.first { $0.contains("\"trace-42\"") && $0.contains("\"msg\":\"request\"") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["route"] as? String == "/api/orders/by-session/:sessionId")
        #expect(object["method"] as? String == "GET")
        #expect(object["status"] is Int)
        #expect(object["duration_ms"] is Double || object["duration_ms"] is Int)
        #expect(!line.contains("cs_test_123"))
    }
}

extension OperationsTests {
    @Test("HTTP_MAX_BODY_BYTES is enforced: 413 payload_too_large")
    func bodyLimit() throws {
        let h = try AppHarness.start { $0.httpMaxBodyBytes = 1024 }
        defer { h.stop() }
        let big = Array(repeating: UInt8(ascii: " "), count: 4096)
        let r = try h.request(
            "POST", "/api/payments/create-checkout-session", headers: [("Content-Type", "application/json")], body: big)
        #expect(r.status == 413)
        #expect(r.errorCode == "payload_too_large")
    }

    @Test(
        "webhook: a signed event for no order is stored as ignored (200); with Postgres gone it is 503 so Stripe retries"
    )
    func webhookDatabaseDown() throws {
        let h = try AppHarness.start()
        defer { h.running.stop() }
        let payload = Array(
            try Data(
                contentsOf: TestEnvironment.stripeFixture("events/checkout.session.completed.2026-08-26.dahlia.json")))
        func post() throws -> TestHTTPResponse {
            let header = stripeSignatureHeader(
                payload: payload, secret: AppHarness.webhookSecret, timestamp: Int64(Date().timeIntervalSince1970))
            return try h.request(
                "POST", "/api/payments/webhook",
                headers: [("Stripe-Signature", header), ("Content-Type", "application/json")], body: payload)
        }
        let first = try post()
        #expect(first.status == 200, "\(first.text)")
        #expect(try first.json()["received"] as? Bool == true)
        #expect(try post().json()["duplicate"] as? Bool == true)
        h.database.drop()
        let down = try post()
        #expect(down.status == 503)
        #expect(down.errorCode == "database_unavailable")
        #expect(!down.text.contains("stripe_events"))
    }

    @Test("static pages: /admin/ always, /demo/ only when enabled; Stripe return URLs redirect; no traversal")
    func staticPages() throws {
        let webDir = TestEnvironment.repoRoot.appendingPathComponent("web").path
        let h = try AppHarness.start {
            $0.webDirectory = webDir
            $0.demoEnabled = true
        }
        defer { h.stop() }
        let index = try h.request("GET", "/demo/")
        #expect(index.status == 200)
        #expect(index.header("Content-Type") == "text/html; charset=utf-8")
        #expect(try h.request("GET", "/demo/app.js").header("Content-Type") == "text/javascript; charset=utf-8")
        let success = try h.request("GET", "/demo/checkout/success?session_id=cs_test_1&x=%20y")
        #expect(success.status == 303)
        #expect(success.header("Location") == "/demo/success.html?session_id=cs_test_1&x=%20y")
        #expect(try h.request("GET", "/demo").header("Location") == "/demo/")
        #expect(try h.request("GET", "/admin/").status == 200)
        // What both pages share, and the exponents generated from the server's currency table.
        #expect(try h.request("GET", "/common/common.js").header("Content-Type") == "text/javascript; charset=utf-8")
        let currencies = try h.request("GET", "/common/currencies.js").text
        #expect(currencies.contains("jpy: 0") && currencies.contains("kwd: 3"))
        #expect(!currencies.contains("usd"))
        for path in [
            "/demo/../openapi.yaml", "/demo/%2e%2e/openapi.yaml", "/demo/.hidden", "/demo/nope.html", "/admin/x/y.js",
        ] {
            #expect(try h.request("GET", path).status == 404, "\(path)")
        }
        // Static pages keep their own caching (revalidate); API and operational answers are never stored.
        #expect(index.header("Cache-Control") == "no-cache")
        for (method, path) in [
            ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/api/products"),
            ("GET", "/openapi.yaml"), ("GET", "/nope"), ("GET", "/api/orders/not-an-order"),
            ("GET", "/api/admin/orders"), ("HEAD", "/api/products"), ("DELETE", "/healthz"),
            ("POST", "/api/payments/create-checkout-session"),
        ] {
            #expect(try h.request(method, path).header("Cache-Control") == "no-store", "\(method) \(path)")
        }
        let off = try AppHarness.start { $0.webDirectory = webDir }
        defer { off.stop() }
        #expect(try off.request("GET", "/demo/").status == 404)
        #expect(try off.request("GET", "/admin/").status == 200)
        #expect(try off.request("GET", "/common/common.js").status == 200)
    }
}

/// A strict-enough reader of the Prometheus text format 0.0.4 for tests.
enum PrometheusText {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// Throws on the first line that is not a comment, blank, or `name{labels} value`.
    static func validate(_ text: String) throws {
        let name = #/[a-zA-Z_:][a-zA-Z0-9_:]*/#
        let sample =
            #/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?([0-9.eE+-]+|\+Inf|NaN)$/#
        var typed: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, parts[2].wholeMatch(of: name) != nil,
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[3]))
                else { throw Invalid(description: "bad TYPE line: \(line)") }
                typed.insert(String(parts[2]))
            } else if line.hasPrefix("#") {
                continue
            } else if line.wholeMatch(of: sample) == nil {
                throw Invalid(description: "bad sample line: \(line)")
            }
        }
        guard !typed.isEmpty else { throw Invalid(description: "no metrics") }
    }
}
