import HTTPServer
import Synchronization

/// In-process counters and histograms rendered as Prometheus text (exposition format 0.0.4).
///
/// Labels are bounded by construction: methods are `HTTPMethod.known` or `other`, routes are registered
/// patterns (or `unmatched`, `/demo/*`, `/admin/*`), statuses are
/// three-digit codes, webhook types are Stripe's (a short, fixed vocabulary) and results are
/// `applied|no_op|ignored|duplicate|rejected|error`. Gauges that live in the database (outbox depth,
/// orders needing attention) are read at scrape time by the `/metrics` route, not stored here.
public final class Metrics: Sendable {
    /// Upper bounds (seconds) of the request-latency histogram buckets.
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct Histogram {
        var counts = [UInt64](repeating: 0, count: Metrics.buckets.count)
        var sum: Double = 0
        var count: UInt64 = 0
    }

    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private struct WebhookKey: Hashable {
        var type: String
        var result: String
    }

    private struct State {
        var requests: [RequestKey: UInt64] = [:]
        var latency: [String: Histogram] = [:]
        var webhooks: [WebhookKey: UInt64] = [:]
    }

    private let state = Mutex(State())

    /// Outbox job and reconciler counters (rendered by `/metrics` after these families).
    public let background = BackgroundMetrics()
    /// Retention pass and removal counters (rendered after the background families).
    public let retention = RetentionMetrics()

    /// An empty registry.
    public init() {}

    /// Counts one finished request and its duration.
    public func recordRequest(method: String, route: String, status: Int, seconds: Double) {
        let method = HTTPMethod(method).label
        state.withLock { s in
            s.requests[RequestKey(method: method, route: route, status: status), default: 0] += 1
            var h = s.latency[route] ?? Histogram()
            for (i, bound) in Self.buckets.enumerated() where seconds <= bound { h.counts[i] += 1 }
            h.sum += seconds
            h.count += 1
            s.latency[route] = h
        }
    }

    /// Counts one webhook event outcome (`type` is Stripe's event type, or `unknown` before parsing).
    public func recordWebhook(type: String, result: String) {
        let safeType =
            type.count <= 80 && type.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }
            ? type : "other"
        state.withLock { $0.webhooks[WebhookKey(type: safeType, result: result), default: 0] += 1 }
    }

    /// How many requests were counted for `route` (all methods and statuses); for tests.
    public func requestCount(route: String) -> UInt64 {
        state.withLock { s in s.requests.filter { $0.key.route == route }.values.reduce(0, +) }
    }

    /// Prometheus text of everything recorded here plus `extraGauges` lines (already formatted).
    public func render(gauges: [(name: String, help: String, samples: [(labels: [(String, String)], value: Double)])])
        -> String
    {
        let s = state.withLock { $0 }
        var out = ""
        out += "# HELP http_requests_total HTTP requests by method, route pattern and status.\n"
        out += "# TYPE http_requests_total counter\n"
        for (key, value) in s.requests.sorted(by: {
            ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
        }) {
            out +=
                "http_requests_total\(Self.labels([("method", key.method), ("route", key.route), ("status", String(key.status))])) \(value)\n"
        }
        out += "# HELP http_request_duration_seconds Request latency by route pattern.\n"
        out += "# TYPE http_request_duration_seconds histogram\n"
        for (route, h) in s.latency.sorted(by: { $0.key < $1.key }) {
            for (i, bound) in Self.buckets.enumerated() {
                out +=
                    "http_request_duration_seconds_bucket\(Self.labels([("route", route), ("le", Self.number(bound))])) \(h.counts[i])\n"
            }
            out += "http_request_duration_seconds_bucket\(Self.labels([("route", route), ("le", "+Inf")])) \(h.count)\n"
            out += "http_request_duration_seconds_sum\(Self.labels([("route", route)])) \(Self.number(h.sum))\n"
            out += "http_request_duration_seconds_count\(Self.labels([("route", route)])) \(h.count)\n"
        }
        out += "# HELP webhook_events_total Stripe webhook deliveries by event type and result.\n"
        out += "# TYPE webhook_events_total counter\n"
        for (key, value) in s.webhooks.sorted(by: { ($0.key.type, $0.key.result) < ($1.key.type, $1.key.result) }) {
            out += "webhook_events_total\(Self.labels([("type", key.type), ("result", key.result)])) \(value)\n"
        }
        for gauge in gauges {
            out += "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) gauge\n"
            for sample in gauge.samples {
                out += "\(gauge.name)\(Self.labels(sample.labels)) \(Self.number(sample.value))\n"
            }
        }
        return out
    }

    static func labels(_ pairs: [(String, String)]) -> String {
        guard !pairs.isEmpty else { return "" }
        let inner = pairs.map { name, value in
            var escaped = ""
            for c in value {
                switch c {
                case "\\": escaped += "\\\\"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                default: escaped.append(c)
                }
            }
            return "\(name)=\"\(escaped)\""
        }
        return "{" + inner.joined(separator: ",") + "}"
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
