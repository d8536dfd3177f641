import Checkout
import HTTPServer
import Postgres

extension App {
    /// `/healthz`, `/readyz`, `/metrics`, `/openapi.yaml` (docs/API.md §2 "Operations").
    func registerOperationsRoutes() {
        route(.get, "/healthz") { _ in
            .json(bytes: Array(#"{"status":"ok"}"#.utf8))
        }
        let pool = self.pool
        let draining = self.draining
        route(.get, "/readyz") { _ in
            // Draining after SIGTERM: still serving, but a proxy should send new work elsewhere.
            guard !draining.isSet else {
                throw HTTPError(
                    .serviceUnavailable, code: "draining", message: "this instance is shutting down")
            }
            // Any failure (pool timeout, connection refused) means "not ready": 503 via the mapper.
            _ = try pool.withConnection { connection in try connection.query("SELECT 1") }
            return .json(bytes: Array(#"{"status":"ok"}"#.utf8))
        }
        let document = openAPIDocument
        route(.get, "/openapi.yaml") { _ in
            guard let document else {
                throw HTTPError(
                    .serviceUnavailable, code: "openapi_unavailable",
                    message: "the server could not read its openapi.yaml at start-up")
            }
            var headers = HTTPHeaders()
            headers.add("Content-Type", "application/yaml; charset=utf-8")
            return HTTPResponse(status: .ok, headers: headers, body: document)
        }
        let metrics = self.metrics
        let logger = self.logger
        route(.get, "/metrics") { _ in
            var gauges = [(name: String, help: String, samples: [(labels: [(String, String)], value: Double)])]()
            let stats = pool.stats
            gauges.append(
                (
                    "db_pool_connections", "Postgres connections of this instance by state.",
                    [
                        ([("state", "in_use")], Double(stats.inUse)), ([("state", "idle")], Double(stats.idle)),
                        ([("state", "max")], Double(stats.max)),
                    ]
                ))
            gauges.append(
                (
                    "db_pool_waiting", "Threads of this instance waiting for a Postgres connection.",
                    [([], Double(pool.waitingCount))]
                ))
            // Database-derived gauges; a scrape during an outage still returns the in-process metrics.
            do {
                try pool.withConnection { connection in
                    let byStatus = try OutboxStore().depthByStatus(connection)
                    gauges.append(
                        (
                            "outbox_jobs", "Outbox jobs not done, by status (failed = retries exhausted).",
                            byStatus.keys.sorted().map { ([("status", $0)], Double(byStatus[$0]!)) }
                        ))
                    let n = try OrderStore().needsAttentionCount(connection)
                    gauges.append(
                        ("orders_needing_attention", "Orders flagged as needing attention.", [([], Double(n))]))
                }
            } catch {
                logger.warning("metrics: database gauges unavailable", metadata: ["error": "\(error)"])
            }
            return .text(
                metrics.render(gauges: gauges) + metrics.background.render() + metrics.retention.render(),
                contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}
