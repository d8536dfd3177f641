import Checkout
import Foundation
import Logging
import Postgres

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension AppConfig {
    /// Start-up warnings about the background work in production (logged by `serve`): unset
    /// fulfillment or notification webhooks, or the reconciler turned off.
    public var backgroundWarnings: [String] {
        guard appEnv == .production else { return [] }
        var out: [String] = []
        if fulfillmentWebhookURL == nil {
            out.append(
                "FULFILLMENT_WEBHOOK_URL is unset while APP_ENV=production: paid orders are confirmed without fulfillment"
            )
        }
        if notifyWebhookURL == nil {
            out.append("NOTIFY_WEBHOOK_URL is unset while APP_ENV=production: orders needing attention are only logged")
        }
        if reconcileInterval == 0 {
            out.append("RECONCILE_INTERVAL=0 while APP_ENV=production: missed webhooks are not repaired automatically")
        }
        if outboxConcurrency == 0 {
            out.append("OUTBOX_CONCURRENCY=0 while APP_ENV=production: run the outbox worker in another instance")
        }
        return out
    }
}

extension App {
    /// The outbox job handlers of this configuration: fulfillment and notifications.
    static func jobHandlers(config: AppConfig, services: AppServices, logger: Logger, boundPort: Int)
        -> [any OutboxJobHandler]
    {
        let host = ["0.0.0.0", "::", ""].contains(config.host) ? "localhost" : config.host
        let adminBase = config.publicBaseURL ?? "http://\(host):\(boundPort)"
        return [
            FulfillmentJob(
                service: services.checkout, url: config.fulfillmentWebhookURL, timeout: config.outboxHTTPTimeout,
                logger: logger),
            NotificationJob(
                service: services.checkout, url: config.notifyWebhookURL.flatMap { URL(string: $0.reveal()) },
                timeout: config.outboxHTTPTimeout, adminBaseURL: adminBase, logger: logger),
            OrderWebhookJob(
                url: config.outbound.orderWebhookURL, secret: config.outbound.orderWebhookSecret?.reveal() ?? "",
                timeout: config.outboxHTTPTimeout, logger: logger),
        ]
    }

    /// The outbox worker's settings from `OUTBOX_*`.
    static func workerConfiguration(_ config: AppConfig) -> OutboxWorkerConfiguration {
        OutboxWorkerConfiguration(
            pollInterval: config.outboxPollInterval, leaseSeconds: Double(config.outboxLeaseSeconds),
            maxAttempts: config.outboxMaxAttempts,
            backoff: Backoff(base: config.outboxBackoffBase, cap: config.outboxBackoffMax),
            concurrency: max(1, config.outboxConcurrency), stopTimeout: config.outboxHTTPTimeout + 5)
    }

    /// The reconciler of this configuration.
    static func reconciler(config: AppConfig, services: AppServices, logger: Logger) -> Reconciler {
        Reconciler(
            service: services.checkout,
            configuration: .init(staleAfter: config.reconcileStaleAfter),
            logger: logger)
    }

    /// Starts what `serve` runs besides HTTP: the outbox worker (unless `OUTBOX_CONCURRENCY=0`), the
    /// periodic reconciler (unless `RECONCILE_INTERVAL=0`) and retention (unless `RETENTION_INTERVAL=0`). Returns their stop functions for
    /// ``RunningApp/stop()`` (which runs them concurrently with the HTTP drain, before the pool closes).
    static func startBackground(
        config: AppConfig, pool: ConnectionPool, services: AppServices, logger: Logger, metrics: Metrics, boundPort: Int
    ) -> [@Sendable () -> Void] {
        for warning in config.backgroundWarnings { logger.warning("\(warning)") }
        var stops: [@Sendable () -> Void] = []
        if config.reconcileInterval > 0, config.dbPoolSize < 2 {
            // A pass holds its advisory lock on one connection while it works on another.
            logger.warning("background reconciler off: it needs DB_POOL_SIZE ≥ 2 (use checkoutd reconcile)")
        } else if config.reconcileInterval > 0 {
            let reconciler = reconciler(config: config, services: services, logger: logger)
            let task = PeriodicTask(name: "reconciler", interval: Double(config.reconcileInterval)) {
                let report = reconciler.runOnce()
                metrics.background.recordReconcile(
                    result: report.skipped ? "skipped" : report.errors.isEmpty ? "ok" : "errors",
                    actions: report.changes.map(\.action))
            }
            task.start()
            stops.append {
                reconciler.cancel()  // a running pass stops between orders
                if !task.stop(timeout: 30) {
                    logger.warning("reconciler pass still running at shutdown; abandoned")
                }
            }
        }
        if config.retentionInterval > 0, config.dbPoolSize < 2 {
            logger.warning("retention off: it needs DB_POOL_SIZE ≥ 2")
        } else if config.retentionInterval > 0 {
            let retention = Retention(
                pool: pool,
                configuration: .init(
                    outboxRetention: config.outboxRetention, eventPayloadRetention: config.eventPayloadRetention,
                    unpaidOrderRetention: config.unpaidOrderRetention),
                logger: logger)
            let task = PeriodicTask(name: "retention", interval: Double(config.retentionInterval)) {
                metrics.retention.record(retention.runOnce())
            }
            task.start()
            stops.append {
                retention.cancel()  // a running pass stops between batches
                if !task.stop(timeout: 30) { logger.warning("retention pass still running at shutdown; abandoned") }
            }
        }
        if config.outboxConcurrency > 0 {
            let worker = OutboxWorker(
                pool: pool, configuration: workerConfiguration(config),
                handlers: jobHandlers(config: config, services: services, logger: logger, boundPort: boundPort),
                logger: logger,
                observe: { report in
                    metrics.background.recordJob(kind: report.kind, outcome: report.outcome, seconds: report.seconds)
                })
            worker.start()
            stops.insert({ worker.stop() }, at: 0)
        }
        return stops
    }
}
