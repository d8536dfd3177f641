import Synchronization

/// Counters of the background work (outbox jobs, reconciler passes), rendered after ``Metrics``'s
/// own families on `/metrics`. Labels are bounded: job kinds are the handlers' (`fulfill`, `notify`),
/// outcomes `done|retry|failed|lost|error`, reconciler results `ok|errors|skipped` and actions the
/// reconciler's five names.
public final class BackgroundMetrics: Sendable {
    private struct State {
        var jobs: [[String]: UInt64] = [:]
        var jobSeconds: [String: Double] = [:]
        var passes: [String: UInt64] = [:]
        var changes: [String: UInt64] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Counts one finished outbox job.
    public func recordJob(kind: String, outcome: String, seconds: Double) {
        state.withLock { s in
            s.jobs[[kind, outcome], default: 0] += 1
            s.jobSeconds[kind, default: 0] += seconds
        }
    }

    /// Counts one reconciler pass and what it changed.
    public func recordReconcile(result: String, actions: [String]) {
        state.withLock { s in
            s.passes[result, default: 0] += 1
            for action in actions { s.changes[action, default: 0] += 1 }
        }
    }

    /// How many jobs of `kind` ended with `outcome` (tests).
    public func jobCount(kind: String, outcome: String) -> UInt64 {
        state.withLock { $0.jobs[[kind, outcome]] ?? 0 }
    }

    /// Prometheus text of these counters (every family always has its HELP and TYPE lines).
    public func render() -> String {
        let s = state.withLock { $0 }
        var out =
            "# HELP outbox_jobs_processed_total Outbox job runs by kind and outcome (retry = will run again, failed = gave up, lost = lease expired meanwhile).\n"
        out += "# TYPE outbox_jobs_processed_total counter\n"
        for (key, n) in s.jobs.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out += "outbox_jobs_processed_total\(Metrics.labels([("kind", key[0]), ("outcome", key[1])])) \(n)\n"
        }
        out += "# HELP outbox_job_seconds_total Time spent running outbox jobs, by kind.\n"
        out += "# TYPE outbox_job_seconds_total counter\n"
        for (kind, seconds) in s.jobSeconds.sorted(by: { $0.key < $1.key }) {
            out += "outbox_job_seconds_total\(Metrics.labels([("kind", kind)])) \(Metrics.number(seconds))\n"
        }
        out += "# HELP reconcile_passes_total Reconciler passes by result.\n"
        out += "# TYPE reconcile_passes_total counter\n"
        for (result, n) in s.passes.sorted(by: { $0.key < $1.key }) {
            out += "reconcile_passes_total\(Metrics.labels([("result", result)])) \(n)\n"
        }
        out += "# HELP reconcile_changes_total Orders repaired by the reconciler, by action.\n"
        out += "# TYPE reconcile_changes_total counter\n"
        for (action, n) in s.changes.sorted(by: { $0.key < $1.key }) {
            out += "reconcile_changes_total\(Metrics.labels([("action", action)])) \(n)\n"
        }
        return out
    }
}
