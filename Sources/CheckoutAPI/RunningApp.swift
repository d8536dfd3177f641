import Dispatch
import Foundation
import HTTPServer
import Logging
import Postgres
import Stripe
import Synchronization

/// A started ``App``: its HTTP server, its pool, and whatever runs in the background.
///
/// `checkoutd serve` and the integration tests start exactly this, so tests exercise the real wiring
/// (real sockets, real Postgres) rather than a test-only assembly.
public final class RunningApp: Sendable {
    /// The app (router, config, metrics).
    public let app: App
    /// The listening server.
    public let server: HTTPServer
    /// Background jobs to stop before the pool closes (outbox worker, reconciler); stopped concurrently.
    let background: [@Sendable () -> Void]
    private let stopped = Atomic<Bool>(false)

    init(app: App, server: HTTPServer, background: [@Sendable () -> Void]) {
        self.app = app
        self.server = server
        self.background = background
    }

    /// The bound port (useful with `PORT=0`).
    public var port: Int { server.port }

    /// Graceful stop: `/readyz` turns 503 at once and, for `DRAIN_DELAY` seconds, every request is still
    /// served (a proxy's health check takes the instance out of rotation meanwhile); then stop accepting
    /// and drain in-flight requests (bounded by `SHUTDOWN_GRACE`) while the background workers stop, then
    /// close the pool. Later calls do nothing.
    ///
    /// The HTTP drain and every background stop run at the same time, so the worst case is the
    /// longest of them (not their sum, ~56 s with the defaults), well inside a orchestrator's
    /// termination grace period.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        app.draining.set()
        if app.config.drainDelay > 0 { Thread.sleep(forTimeInterval: Double(app.config.drainDelay)) }
        Self.stopConcurrently(background) { server.shutdown() }
        app.pool.close()
    }

    /// Runs `drain` on the calling thread and each of `jobs` on its own thread, all at once, and
    /// returns when all have returned.
    static func stopConcurrently(_ jobs: [@Sendable () -> Void], drain: () -> Void) {
        let group = DispatchGroup()
        for job in jobs {
            group.enter()
            Thread.detachNewThread {
                job()
                group.leave()
            }
        }
        drain()
        group.wait()
    }
}

extension App {
    /// Opens the pool, applies pending migrations under the advisory lock, builds the app and starts
    /// the HTTP server on `HOST:PORT`. Returns once the server listens. `stripe` replaces the
    /// default Stripe client (tests pass one with short backoff).
    public static func start(
        config: AppConfig, logger: Logger, metrics: Metrics = Metrics(), stripe: StripeClient? = nil
    ) throws -> RunningApp {
        let pool = ConnectionPool(
            url: config.databaseURL.reveal(), maxConnections: config.dbPoolSize,
            checkoutTimeout: .milliseconds(Int64(AppConfig.dbPoolCheckoutTimeout * 1000)))
        do {
            let applied = try config.migrator().migrate(pool)
            if !applied.isEmpty {
                logger.info("migrations applied", metadata: ["applied": .array(applied.map { .string($0) })])
            }
        } catch {
            pool.close()
            throw error
        }
        let services = AppServices(config: config, pool: pool, logger: logger, stripe: stripe)
        let app = App(config: config, pool: pool, services: services, logger: logger, metrics: metrics)
        var serverConfig = HTTPServerConfiguration(host: config.host, port: config.port)
        serverConfig.workerThreads = config.httpWorkerThreads
        serverConfig.maxBodyBytes = config.httpMaxBodyBytes
        serverConfig.maxConnections = config.httpMaxConnections
        serverConfig.shutdownGrace = .seconds(config.shutdownGrace)
        let server = HTTPServer(configuration: serverConfig, handler: app.handler())
        do {
            try server.start()
        } catch {
            pool.close()
            throw error
        }
        let background = startBackground(
            config: config, pool: pool, services: services, logger: logger, metrics: metrics, boundPort: server.port)
        return RunningApp(app: app, server: server, background: background)
    }
}
