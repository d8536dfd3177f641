import Checkout
import Synchronization

/// Counters of the retention task, rendered on `/metrics` after the background families: passes by
/// result (`ok|errors|skipped`) and rows removed by kind (`outbox_jobs|event_payloads|order_emails`).
public final class RetentionMetrics: Sendable {
    private struct State {
        var passes: [String: UInt64] = [:]
        var removed: [String: UInt64] = ["outbox_jobs": 0, "event_payloads": 0, "order_emails": 0]
    }

    private let state = Mutex(State())

    public init() {}

    /// Counts one pass and what it removed.
    public func record(_ report: RetentionReport) {
        state.withLock { s in
            s.passes[report.skipped ? "skipped" : report.errors.isEmpty ? "ok" : "errors", default: 0] += 1
            s.removed["outbox_jobs", default: 0] += UInt64(report.outboxJobs)
            s.removed["event_payloads", default: 0] += UInt64(report.eventPayloads)
            s.removed["order_emails", default: 0] += UInt64(report.orderEmails)
        }
    }

    /// Rows removed so far of `kind` (tests).
    public func removed(_ kind: String) -> UInt64 { state.withLock { $0.removed[kind] ?? 0 } }

    /// Prometheus text of these counters (every family always has its HELP and TYPE lines).
    public func render() -> String {
        let s = state.withLock { $0 }
        var out = "# HELP retention_passes_total Retention passes by result.\n"
        out += "# TYPE retention_passes_total counter\n"
        for (result, n) in s.passes.sorted(by: { $0.key < $1.key }) {
            out += "retention_passes_total\(Metrics.labels([("result", result)])) \(n)\n"
        }
        out +=
            "# HELP retention_removed_total Rows removed by retention: finished outbox jobs deleted, Stripe event payloads dropped, unpaid orders' emails redacted.\n"
        out += "# TYPE retention_removed_total counter\n"
        for (kind, n) in s.removed.sorted(by: { $0.key < $1.key }) {
            out += "retention_removed_total\(Metrics.labels([("kind", kind)])) \(n)\n"
        }
        return out
    }
}
