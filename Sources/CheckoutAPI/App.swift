import Checkout
import CheckoutResources
import Foundation
import HTTPServer
import Logging
import Postgres
import Synchronization

/// The HTTP face of checkout-server: every route of docs/API.md §2–§3 plus the operations endpoints,
/// wired to the domain, behind the middleware chain.
///
/// Middleware, outermost first: the client address from `TRUSTED_PROXIES`' headers (when set) → access log + metrics (one line per request) → `Cache-Control: no-store`
/// unless a response chose its own → static pages
/// (`/demo/`, `/admin/`) → CORS (public routes)
/// → rate limit (public POSTs) → admin auth (`/api/admin/*`) → router. Each route handler is wrapped by ``route(_:_:body:_:)``, which checks the
/// body's media type and turns any thrown error into the API error shape through ``ErrorMapper``
/// (the one place that knows statuses).
///
/// Building an `App` performs no I/O besides reading `openapi.yaml`; ``App/start(config:logger:)``
/// does the rest (pool, migrations, server).
public final class App: Sendable {
    /// The configuration it was built from.
    public let config: AppConfig
    /// Where routes log (access log lines included).
    public let logger: Logger
    /// Request and webhook counters served at `/metrics`.
    public let metrics: Metrics
    /// The database pool shared by every route.
    public let pool: ConnectionPool
    /// The router, fully configured by `init` (read-only afterwards).
    public let router: Router
    /// The cap on Stripe-bound requests in flight (`STRIPE_CONCURRENCY`).
    public let stripeBulkhead: Bulkhead
    /// The bytes of `openapi.yaml` (built in, or `OPENAPI_PATH`), nil when that file could not be read.
    let openAPIDocument: [UInt8]?
    /// Set once a stop was requested: `/readyz` then answers 503 `draining` (``RunningApp/stop()``).
    let draining = DrainFlag()

    /// Whether this instance is draining (stop requested, still serving).
    public var isDraining: Bool { draining.isSet }

    /// Builds the router for `config` over `pool`, with the domain `services`.
    public init(
        config: AppConfig, pool: ConnectionPool, services: AppServices, logger: Logger, metrics: Metrics = Metrics()
    ) {
        self.config = config
        self.logger = logger
        self.metrics = metrics
        self.pool = pool
        self.router = Router()
        self.stripeBulkhead = Bulkhead(limit: config.effectiveStripeConcurrency)
        self.openAPIDocument = Self.loadOpenAPI(path: config.openAPIPath, logger: logger)
        registerPaymentRoutes(services)
        registerOrderRoutes(services)
        registerAdminRoutes(services)
        registerOperationsRoutes()
        if !config.trustedProxies.networks.isEmpty {
            router.use(ClientAddressMiddleware(proxies: config.trustedProxies))
        }
        router.use(AccessLogMiddleware(logger: logger, metrics: metrics, router: router))
        router.use(NoStoreMiddleware())
        router.use(StaticFiles(webDir: config.webDirectory, demo: config.demoEnabled, logger: logger))
        router.use(CORSMiddleware(allowedOrigins: config.corsAllowedOrigins))
        if config.rateLimitPerMinute > 0 {
            router.use(
                RateLimitMiddleware(
                    limiter: RateLimiter(perMinute: config.rateLimitPerMinute, burst: config.rateLimitBurst)))
        }
        router.use(AdminAuthMiddleware(token: config.adminToken))
    }

    /// The request handler to give an `HTTPServer`.
    public func handler() -> HTTPHandler { router.handler() }

    /// Every registered route as `METHOD /pattern`, for the openapi-vs-router test.
    public var routeList: [String] { router.routes.map { "\($0.method.rawValue) \($0.pattern)" } }

    /// Registers `handler` for `method pattern`: checks the body media type per `body`, and maps every
    /// thrown error to the API error shape (``ErrorMapper``). A `stripeBound` route runs inside
    /// ``stripeBulkhead``: when it is full the answer is 503 `stripe_busy` with `Retry-After`, at once and
    /// before anything is written, so the other handler threads stay free for webhooks, reads and probes.
    func route(
        _ method: HTTPMethod, _ pattern: String, body: JSONBodyPolicy = .optional, stripeBound: Bool = false,
        _ handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse
    ) {
        let logger = self.logger
        let bulkhead = stripeBound ? stripeBulkhead : nil
        router.add(method, pattern) { request in
            do {
                try body.check(request)
                if let bulkhead {
                    guard bulkhead.tryEnter() else { throw Self.stripeBusy }
                }
                defer { bulkhead?.leave() }
                return try handler(request)
            } catch {
                throw ErrorMapper.httpError(for: error, requestID: request.requestID, logger: logger)
            }
        }
    }

    /// 503 `stripe_busy`: `STRIPE_CONCURRENCY` Stripe-bound requests are already in flight.
    static let stripeBusy = HTTPError(
        .serviceUnavailable, code: "stripe_busy",
        message: "too many payment requests are waiting for Stripe; retry shortly", headers: ["Retry-After": "2"])

    private static func loadOpenAPI(path: String?, logger: Logger) -> [UInt8]? {
        guard let path else { return EmbeddedFiles.files["openapi.yaml"] }
        guard let data = FileManager.default.contents(atPath: path) else {
            logger.warning(
                "openapi.yaml not found; GET /openapi.yaml will answer 503 (set OPENAPI_PATH)",
                metadata: ["path": .string(path)])
            return nil
        }
        return Array(data)
    }
}

/// A one-way flag shared by the app and its `/readyz` route: set when the instance starts draining.
final class DrainFlag: Sendable {
    private let value = Atomic<Bool>(false)
    /// Whether the flag was set.
    var isSet: Bool { value.load(ordering: .acquiring) }
    /// Sets the flag (idempotent).
    func set() { value.store(true, ordering: .releasing) }
}
