import Foundation

/// Everything `checkoutd` reads from its environment (docs/API.md §1), parsed and checked once at start-up.
///
/// Sources, strongest first: the process environment, then `.env` in the working directory. An empty
/// value counts as unset (so `ADMIN_TOKEN=` in a copied `.env.example` means "no admin token").
/// A bad or missing required value is a ``ConfigError`` naming the variable; `checkoutd` prints it on
/// one line and exits 2. Secrets are ``Secret`` values, so printing the config never reveals them.
public struct AppConfig: Sendable {
    /// Deployment environment (`APP_ENV`). `production` turns on the strict start-up checks.
    public enum Environment: String, Sendable, CaseIterable {
        case development, test, staging, production
    }

    /// How log lines are written (`LOG_FORMAT`).
    public enum LogFormat: String, Sendable, CaseIterable {
        case json, text
    }

    /// `HOST`: listen address. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// `PORT`: listen port, 0 = any free port. Default 8080.
    public var port: Int = 8080
    /// `DATABASE_URL` (required): a libpq URI or key=value string. Secret: it usually holds a password.
    public var databaseURL: Secret
    /// `DB_POOL_SIZE`: Postgres connections per instance, 1–200. Default 8.
    public var dbPoolSize: Int = 8
    /// `STRIPE_SECRET_KEY` (required): `sk_test_…`, `sk_live_…`, `rk_test_…` or `rk_live_…`.
    public var stripeSecretKey: Secret
    /// `STRIPE_API_BASE`: where the Stripe REST API is. Default `https://api.stripe.com`.
    public var stripeAPIBase: URL = URL(string: "https://api.stripe.com")!
    /// `STRIPE_WEBHOOK_SECRET`: every accepted `whsec_…` (comma-separated for rotation). Required in production.
    public var stripeWebhookSecrets: [Secret] = []
    /// `STRIPE_WEBHOOK_TOLERANCE`: max signature age in seconds, 1–86400. Default 300.
    public var stripeWebhookTolerance: Int = 300
    /// `PUBLIC_ORIGIN`: the storefront origin (optionally with a path prefix); success/cancel URLs are built
    /// from it. Default `http://localhost:3000`.
    public var publicOrigin: String = "http://localhost:3000"
    /// `CORS_ALLOWED_ORIGINS`: origins allowed to call the public API from a browser. Default `[PUBLIC_ORIGIN]`.
    public var corsAllowedOrigins: [String] = ["http://localhost:3000"]
    /// `ADMIN_TOKEN`: bearer token of `/api/admin/*`; nil = admin routes answer 503 `admin_disabled`.
    public var adminToken: Secret?
    /// `APP_ENV`. Default `development`.
    public var appEnv: Environment = .development
    /// `CHECKOUT_SESSION_TTL`: seconds until a Checkout Session expires, 1800–86400 (Stripe's range). Default 3600.
    public var checkoutSessionTTL: Int = 3600
    /// `ORDER_NUMBER_PREFIX`: 1–10 upper-case letters or digits. Default `DO`.
    public var orderNumberPrefix: String = "DO"
    /// `FULFILLMENT_WEBHOOK_URL`: where paid orders are POSTed; nil = fulfillment succeeds at once.
    public var fulfillmentWebhookURL: URL?
    /// `NOTIFY_WEBHOOK_URL`: Slack-compatible incoming webhook. Secret: such URLs embed a token.
    public var notifyWebhookURL: Secret?
    /// `ORDER_WEBHOOK_*` (and the customer e-mail settings): see `AppConfig+Outbound.swift`.
    public var outbound = OutboundConfig()
    /// `RECONCILE_INTERVAL`: seconds between background reconciler passes, 0 = off, else 10–86400. Default 300.
    public var reconcileInterval: Int = 300
    /// `LOG_LEVEL`: trace, debug, info, notice, warning, error, critical. Default info.
    public var logLevel: String = "info"
    /// `LOG_FORMAT`: json (one object per line) or text. Default json.
    public var logFormat: LogFormat = .json
    /// `HTTP_WORKER_THREADS`: threads running handlers (they block on Postgres and Stripe), 1–1024. Default 16.
    public var httpWorkerThreads: Int = 16
    /// `STRIPE_CONCURRENCY`: Stripe-bound requests (create, retry-session, admin sync / mark-paid, a
    /// by-session refresh) handled at once, 1 to `HTTP_WORKER_THREADS` − 1; beyond it they answer 503
    /// `stripe_busy` with `Retry-After` at once, so a slow Stripe cannot take every handler thread.
    /// Default (nil): half the handler threads.
    public var stripeConcurrency: Int?
    /// `STRIPE_TIMEOUT`: seconds one Stripe API attempt may take, 1–60. Default 10.
    public var stripeTimeout: Int = 10
    /// `STRIPE_MAX_RETRIES`: retries after the first attempt of one Stripe call, 0–5. Default 2, so one
    /// call holds its thread at most (retries + 1) × `STRIPE_TIMEOUT` + backoffs (≤ 5 s each).
    public var stripeMaxRetries: Int = 2

    /// The Stripe-bound share of handler threads in force (`STRIPE_CONCURRENCY` or its default).
    public var effectiveStripeConcurrency: Int { stripeConcurrency ?? max(1, httpWorkerThreads / 2) }

    /// `HTTP_MAX_BODY_BYTES`: largest accepted request body, 1 KiB–64 MiB (413 above). Default 1 MiB.
    public var httpMaxBodyBytes: Int = 1 << 20
    /// `HTTP_MAX_CONNECTIONS`: open connections per process, 1–1000000. Default 10000.
    public var httpMaxConnections: Int = 10_000
    /// `RATE_LIMIT_PER_MINUTE`: sustained create/retry requests per client IP, 0 = off, else 1–100000. Default 60.
    public var rateLimitPerMinute: Int = 60
    /// `RATE_LIMIT_BURST`: requests a client may make at once before the rate applies, 1–10000. Default 20.
    public var rateLimitBurst: Int = 20
    /// `TRUSTED_PROXIES`: comma-separated CIDRs (`10.0.0.0/8, ::1`) of reverse proxies whose
    /// `X-Forwarded-For` / `Forwarded` name the client for rate limiting and logs. Default none: the
    /// peer address is the client.
    public var trustedProxies = TrustedProxies()
    /// `SHUTDOWN_GRACE`: seconds in-flight requests get to finish on SIGTERM, 0–300. Default 10.
    public var shutdownGrace: Int = 10
    /// `DRAIN_DELAY`: seconds between SIGTERM and closing the listener, 0–60, during which `/readyz`
    /// answers 503 while every request is still served, so a health-checking proxy takes this instance
    /// out of rotation before it stops accepting. Default 0 (stop accepting at once).
    public var drainDelay: Int = 0
    /// `MIGRATIONS_DIR`: folder of `NNN_*.sql` migrations. Default (nil): the ones built into the binary.
    public var migrationsDirectory: String? = nil
    /// `WEB_DIR`: folder holding `demo/` and `admin/` (static pages). Default (nil): the built-in pages.
    public var webDirectory: String? = nil
    /// `DEMO_ENABLED`: serve the demo storefront under `/demo/` (true/false). Default false.
    public var demoEnabled: Bool = false
    /// `OPENAPI_PATH`: the spec served at `GET /openapi.yaml`. Default (nil): the built-in copy.
    public var openAPIPath: String? = nil

    // Background work (outbox worker, reconciler, notifications): see README "Operations".

    /// `OUTBOX_CONCURRENCY`: outbox jobs run at once by this process, 0 = no worker here, else 1–32. Default 2.
    public var outboxConcurrency: Int = 2
    /// `OUTBOX_POLL_INTERVAL`: seconds between polls for due jobs while idle, 0.05–60. Default 1.
    public var outboxPollInterval: Double = 1
    /// How long a caller waits for a pooled database connection (seconds) before `poolTimeout`.
    public static let dbPoolCheckoutTimeout: Double = 5

    /// `OUTBOX_LEASE_SECONDS`: seconds a claimed job stays claimed; after that a dead worker's job is
    /// run again. 2–3600, and at least `OUTBOX_HTTP_TIMEOUT` + 2 × ``dbPoolCheckoutTimeout`` + 1 (a job's
    /// worst-case run time). Default 60.
    public var outboxLeaseSeconds: Int = 60
    /// `OUTBOX_MAX_ATTEMPTS`: attempts per job before it is given up, 1–100. Default 20: with the
    /// default backoff (2 s doubling, capped at 600 s, equal jitter) a job keeps trying for ~58–117 min,
    /// so a supplier outage of about an hour is ridden out (8 gave up after 2–4 min).
    public var outboxMaxAttempts: Int = 20
    /// `OUTBOX_BACKOFF_BASE`: seconds before the first retry (doubling, jittered), 0.01–3600. Default 2.
    public var outboxBackoffBase: Double = 2
    /// `OUTBOX_BACKOFF_MAX`: longest delay between retries in seconds, ≥ the base, ≤ 86400. Default 600.
    public var outboxBackoffMax: Double = 600
    /// `OUTBOX_HTTP_TIMEOUT`: seconds a fulfillment or notification POST may take, 0.5–120. Default 10.
    public var outboxHTTPTimeout: Double = 10
    /// `RECONCILE_STALE_AFTER`: seconds after which a pending order's session is checked at Stripe by
    /// the reconciler even before it expires, 0–86400. Default 900.
    public var reconcileStaleAfter: Int = 900
    /// `PUBLIC_BASE_URL`: where operators reach this server (admin links in notifications). Default
    /// `http://HOST:PORT` (the bound port).
    public var publicBaseURL: String?

    // Retention (what a pass deletes and when): see docs/operations.md "Retention".

    /// `RETENTION_INTERVAL`: seconds between retention passes, 0 = off, else 60–86400. Default 3600.
    public var retentionInterval: Int = 3600
    /// `OUTBOX_RETENTION`: age after which a finished (`done`) outbox job is deleted; 0 = never.
    /// Seconds, or a number with `s`/`m`/`h`/`d`. Default 7 days.
    public var outboxRetention: Int = 7 * 86_400
    /// `EVENT_PAYLOAD_RETENTION`: age after which a Stripe event's payload is dropped (id, type and
    /// result stay); 0 = never. Default 90 days.
    public var eventPayloadRetention: Int = 90 * 86_400
    /// `UNPAID_ORDER_RETENTION`: time since an order ended without payment after which its customer
    /// email is redacted; 0 = never. Default 30 days.
    public var unpaidOrderRetention: Int = 30 * 86_400

    /// A config with the required values and every default; for tests and embedding.
    public init(databaseURL: String, stripeSecretKey: String) {
        self.databaseURL = Secret(databaseURL)
        self.stripeSecretKey = Secret(stripeSecretKey)
    }

    /// Non-fatal findings of ``load(environment:dotEnv:)`` (e.g. a test key in production), for the log.
    public var warnings: [String] = []

    /// Every variable this type reads, for docs and for `.env` typo detection.
    public static let variables: [String] = [
        "HOST", "PORT", "DATABASE_URL", "DB_POOL_SIZE", "STRIPE_SECRET_KEY", "STRIPE_API_BASE",
        "STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_TOLERANCE", "PUBLIC_ORIGIN", "CORS_ALLOWED_ORIGINS",
        "ADMIN_TOKEN", "APP_ENV", "CHECKOUT_SESSION_TTL", "ORDER_NUMBER_PREFIX", "FULFILLMENT_WEBHOOK_URL",
        "NOTIFY_WEBHOOK_URL", "RECONCILE_INTERVAL", "LOG_LEVEL", "LOG_FORMAT", "HTTP_WORKER_THREADS",
        "HTTP_MAX_BODY_BYTES", "HTTP_MAX_CONNECTIONS", "RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_BURST", "SHUTDOWN_GRACE",
        "DRAIN_DELAY",
        "MIGRATIONS_DIR", "OPENAPI_PATH", "WEB_DIR", "DEMO_ENABLED", "OUTBOX_CONCURRENCY", "OUTBOX_POLL_INTERVAL",
        "OUTBOX_LEASE_SECONDS", "OUTBOX_MAX_ATTEMPTS", "OUTBOX_BACKOFF_BASE", "OUTBOX_BACKOFF_MAX",
        "OUTBOX_HTTP_TIMEOUT",
        "RECONCILE_STALE_AFTER", "PUBLIC_BASE_URL", "RETENTION_INTERVAL", "OUTBOX_RETENTION",
        "EVENT_PAYLOAD_RETENTION", "UNPAID_ORDER_RETENTION", "STRIPE_CONCURRENCY", "STRIPE_TIMEOUT",
        "STRIPE_MAX_RETRIES", "TRUSTED_PROXIES",
        "ORDER_WEBHOOK_URL", "ORDER_WEBHOOK_SECRET",
    ]

    /// Reads the process environment and `./.env` (when present). The environment wins.
    public static func fromProcess(directory: String = FileManager.default.currentDirectoryPath)
        throws(ConfigError) -> AppConfig
    {
        let path = (directory as NSString).appendingPathComponent(".env")
        var dotEnv: String?
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else {
                throw ConfigError(variable: ".env", message: ".env could not be read as UTF-8 text (\(path))")
            }
            dotEnv = text
        }
        return try load(environment: ProcessInfo.processInfo.environment, dotEnv: dotEnv)
    }

    /// Parses and checks the configuration: `environment` wins over the `.env` text `dotEnv`.
    ///
    /// Pure (no I/O), so every rule is covered by a table test.
    public static func load(environment: [String: String], dotEnv: String? = nil) throws(ConfigError) -> AppConfig {
        var merged = try dotEnv.map { text throws(ConfigError) in try DotEnv.parse(text) } ?? [:]
        for (key, value) in environment { merged[key] = value }
        var reader = Reader(values: merged)
        return try reader.build()
    }
}

/// The variable-by-variable rules of ``AppConfig``, kept apart so `AppConfig` reads as a list of settings.
struct Reader {
    let values: [String: String]

    /// The trimmed value, or nil when unset or blank.
    func raw(_ name: String) -> String? {
        guard let v = values[name]?.trimmingWhitespace(), !v.isEmpty else { return nil }
        return v
    }

    func required(_ name: String, _ what: String) throws(ConfigError) -> String {
        guard let v = raw(name) else { throw ConfigError(variable: name, message: "\(name) is required (\(what))") }
        return v
    }

    func int(_ name: String, default def: Int, in range: ClosedRange<Int>, unit: String = "")
        throws(ConfigError) -> Int
    {
        guard let text = raw(name) else { return def }
        guard let v = Int(text), range.contains(v) else {
            let suffix = unit.isEmpty ? "" : " (\(unit))"
            throw ConfigError(
                variable: name,
                message:
                    "\(name) must be an integer \(range.lowerBound)–\(range.upperBound)\(suffix) (got \(quoted(text)))")
        }
        return v
    }

    func httpURL(_ name: String, secret: Bool = false) throws(ConfigError) -> URL? {
        guard let text = raw(name) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            let got = secret ? "" : " (got \(quoted(text)))"
            throw ConfigError(variable: name, message: "\(name) must be an absolute http(s) URL\(got)")
        }
        return url
    }

    /// `scheme://host[:port]` with no path, query or trailing slash; a trailing `/` is tolerated and dropped.
    func origin(_ text: String, name: String) throws(ConfigError) -> String {
        var t = text
        if t.hasSuffix("/") { t.removeLast() }
        guard let url = URL(string: t), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.path.isEmpty, url.query == nil, url.fragment == nil,
            url.user == nil
        else {
            throw ConfigError(
                variable: name, message: "\(name) must be an origin like https://shop.example (got \(quoted(text)))")
        }
        return t
    }

    /// `PUBLIC_ORIGIN`: `scheme://host[:port]` plus an optional path prefix; no query, fragment or
    /// credentials; trailing slashes dropped (success/cancel URLs append `/checkout/…`).
    func publicBase(_ text: String) throws(ConfigError) -> String {
        var t = text
        while t.hasSuffix("/") { t.removeLast() }
        guard let url = URL(string: t), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil, url.user == nil,
            !t.contains("?"), !t.contains("#")
        else {
            throw ConfigError(
                variable: "PUBLIC_ORIGIN",
                message:
                    "PUBLIC_ORIGIN must be an http(s) origin like https://shop.example (optionally with a path) (got \(quoted(text)))"
            )
        }
        return t
    }

    /// `scheme://host[:port]` of a URL string.
    static func originPart(_ base: String) -> String {
        guard let schemeEnd = base.range(of: "://") else { return base }
        let afterScheme = base[schemeEnd.upperBound...]
        guard let slash = afterScheme.firstIndex(of: "/") else { return base }
        return String(base[..<slash])
    }

    func quoted(_ s: String) -> String {
        let cut = s.count > 60 ? String(s.prefix(60)) + "…" : s
        return "\"" + cut.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    mutating func build() throws(ConfigError) -> AppConfig {
        // Required first, so the most common mistake is the one reported.
        let db = try required("DATABASE_URL", "a libpq URI like postgres://user:pass@host:5432/db")
        guard db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") || db.contains("=") else {
            throw ConfigError(
                variable: "DATABASE_URL",
                message: "DATABASE_URL must be a postgres:// URI or a libpq key=value string (value not shown)")
        }
        let key = try required("STRIPE_SECRET_KEY", "sk_test_…, sk_live_… or rk_…")
        let keyPrefixes = ["sk_test_", "sk_live_", "rk_test_", "rk_live_"]
        guard keyPrefixes.contains(where: { key.hasPrefix($0) && key.count > $0.count }) else {
            throw ConfigError(
                variable: "STRIPE_SECRET_KEY",
                message: "STRIPE_SECRET_KEY must start with sk_test_, sk_live_, rk_test_ or rk_live_ (value not shown)")
        }
        var c = AppConfig(databaseURL: db, stripeSecretKey: key)

        c.host = raw("HOST") ?? c.host
        c.port = try int("PORT", default: c.port, in: 0...65535)
        c.dbPoolSize = try int("DB_POOL_SIZE", default: c.dbPoolSize, in: 1...200)
        if let base = try httpURL("STRIPE_API_BASE") { c.stripeAPIBase = base }

        if let list = raw("STRIPE_WEBHOOK_SECRET") {
            let parts = list.split(separator: ",", omittingEmptySubsequences: false).map {
                String($0).trimmingWhitespace()
            }
            for (i, part) in parts.enumerated() where !(part.hasPrefix("whsec_") && part.count > 6) {
                throw ConfigError(
                    variable: "STRIPE_WEBHOOK_SECRET",
                    message:
                        "STRIPE_WEBHOOK_SECRET must be whsec_… values separated by commas (entry \(i + 1) is not; value not shown)"
                )
            }
            c.stripeWebhookSecrets = parts.map(Secret.init)
        }
        c.stripeWebhookTolerance = try int(
            "STRIPE_WEBHOOK_TOLERANCE", default: c.stripeWebhookTolerance, in: 1...86400, unit: "seconds")

        if let o = raw("PUBLIC_ORIGIN") { c.publicOrigin = try publicBase(o) }
        if let list = raw("CORS_ALLOWED_ORIGINS") {
            var origins: [String] = []
            for part in list.split(separator: ",") {
                let p = String(part).trimmingWhitespace()
                if p.isEmpty { continue }
                origins.append(p == "*" ? "*" : try origin(p, name: "CORS_ALLOWED_ORIGINS"))
            }
            c.corsAllowedOrigins = origins
        } else {
            // The origin part only: PUBLIC_ORIGIN may carry a path prefix (`http://localhost:8080/demo`).
            c.corsAllowedOrigins = [Self.originPart(c.publicOrigin)]
        }

        if let env = raw("APP_ENV") {
            guard let e = AppConfig.Environment(rawValue: env.lowercased()) else {
                throw ConfigError(
                    variable: "APP_ENV",
                    message: "APP_ENV must be one of development, test, staging, production (got \(quoted(env)))")
            }
            c.appEnv = e
        }
        c.adminToken = raw("ADMIN_TOKEN").map(Secret.init)
        c.checkoutSessionTTL = try int(
            "CHECKOUT_SESSION_TTL", default: c.checkoutSessionTTL, in: 1800...86400, unit: "seconds")

        if let prefix = raw("ORDER_NUMBER_PREFIX") {
            let ok =
                prefix.count <= 10
                && prefix.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
            guard ok else {
                throw ConfigError(
                    variable: "ORDER_NUMBER_PREFIX",
                    message: "ORDER_NUMBER_PREFIX must be 1–10 upper-case letters or digits (got \(quoted(prefix)))")
            }
            c.orderNumberPrefix = prefix
        }
        c.fulfillmentWebhookURL = try httpURL("FULFILLMENT_WEBHOOK_URL")
        if try httpURL("NOTIFY_WEBHOOK_URL", secret: true) != nil {
            c.notifyWebhookURL = raw("NOTIFY_WEBHOOK_URL").map(Secret.init)
        }
        let interval = try int("RECONCILE_INTERVAL", default: c.reconcileInterval, in: 0...86400, unit: "seconds")
        guard interval == 0 || interval >= 10 else {
            throw ConfigError(
                variable: "RECONCILE_INTERVAL",
                message: "RECONCILE_INTERVAL must be 0 (off) or 10–86400 seconds (got \(quoted(String(interval))))")
        }
        c.reconcileInterval = interval

        if let level = raw("LOG_LEVEL") {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(level.lowercased()) else {
                throw ConfigError(
                    variable: "LOG_LEVEL",
                    message: "LOG_LEVEL must be one of \(levels.joined(separator: ", ")) (got \(quoted(level)))")
            }
            c.logLevel = level.lowercased()
        }
        if let format = raw("LOG_FORMAT") {
            guard let f = AppConfig.LogFormat(rawValue: format.lowercased()) else {
                throw ConfigError(
                    variable: "LOG_FORMAT", message: "LOG_FORMAT must be json or text (got \(quoted(format)))")
            }
            c.logFormat = f
        }
        c.httpWorkerThreads = try int("HTTP_WORKER_THREADS", default: c.httpWorkerThreads, in: 1...1024)
        if raw("STRIPE_CONCURRENCY") != nil {
            let most = max(1, c.httpWorkerThreads - 1)
            c.stripeConcurrency = try int("STRIPE_CONCURRENCY", default: most, in: 1...most)
        }
        c.stripeTimeout = try int("STRIPE_TIMEOUT", default: c.stripeTimeout, in: 1...60, unit: "seconds")
        c.stripeMaxRetries = try int("STRIPE_MAX_RETRIES", default: c.stripeMaxRetries, in: 0...5)
        c.httpMaxBodyBytes = try int(
            "HTTP_MAX_BODY_BYTES", default: c.httpMaxBodyBytes, in: 1024...(64 << 20), unit: "bytes")
        c.httpMaxConnections = try int("HTTP_MAX_CONNECTIONS", default: c.httpMaxConnections, in: 1...1_000_000)
        c.rateLimitPerMinute = try int("RATE_LIMIT_PER_MINUTE", default: c.rateLimitPerMinute, in: 0...100_000)
        c.rateLimitBurst = try int("RATE_LIMIT_BURST", default: c.rateLimitBurst, in: 1...10_000)
        if let list = raw("TRUSTED_PROXIES") {
            switch TrustedProxies.parse(list) {
            case .success(let proxies): c.trustedProxies = proxies
            case .failure(let entry):
                throw ConfigError(
                    variable: "TRUSTED_PROXIES",
                    message:
                        "TRUSTED_PROXIES must be IPv4/IPv6 addresses or CIDRs separated by commas (entry \(entry.position) is not: \(quoted(list)))"
                )
            }
        }
        c.shutdownGrace = try int("SHUTDOWN_GRACE", default: c.shutdownGrace, in: 0...300, unit: "seconds")
        c.drainDelay = try int("DRAIN_DELAY", default: c.drainDelay, in: 0...60, unit: "seconds")
        c.migrationsDirectory = raw("MIGRATIONS_DIR") ?? c.migrationsDirectory
        c.openAPIPath = raw("OPENAPI_PATH") ?? c.openAPIPath
        c.webDirectory = raw("WEB_DIR") ?? c.webDirectory
        if let demo = raw("DEMO_ENABLED") {
            switch demo.lowercased() {
            case "true", "1", "yes", "on": c.demoEnabled = true
            case "false", "0", "no", "off": c.demoEnabled = false
            default:
                throw ConfigError(
                    variable: "DEMO_ENABLED", message: "DEMO_ENABLED must be true or false (got \(quoted(demo)))")
            }
        }

        try readBackground(&c)
        try readOutbound(&c)
        try readRetention(&c)

        // Production refuses to run half-configured; other environments only warn.
        if c.appEnv == .production {
            guard !c.stripeWebhookSecrets.isEmpty else {
                throw ConfigError(
                    variable: "STRIPE_WEBHOOK_SECRET",
                    message: "STRIPE_WEBHOOK_SECRET is required when APP_ENV=production")
            }
            guard let token = c.adminToken else {
                throw ConfigError(variable: "ADMIN_TOKEN", message: "ADMIN_TOKEN is required when APP_ENV=production")
            }
            guard token.reveal().count >= 16 else {
                throw ConfigError(
                    variable: "ADMIN_TOKEN",
                    message: "ADMIN_TOKEN must be at least 16 characters when APP_ENV=production (value not shown)")
            }
            if key.hasPrefix("sk_test_") || key.hasPrefix("rk_test_") {
                c.warnings.append("STRIPE_SECRET_KEY is a test-mode key while APP_ENV=production")
            }
        } else {
            if c.stripeWebhookSecrets.isEmpty {
                c.warnings.append(
                    "STRIPE_WEBHOOK_SECRET is unset: every webhook will be rejected with 400 signature_invalid")
            }
            if key.hasPrefix("sk_live_") || key.hasPrefix("rk_live_") {
                c.warnings.append("STRIPE_SECRET_KEY is a live-mode key while APP_ENV=\(c.appEnv.rawValue)")
            }
        }
        return c
    }
}

extension Reader {
    /// A decimal number of seconds (`0.5`, `2`), or `def` when unset.
    func seconds(_ name: String, default def: Double, in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard let text = raw(name) else { return def }
        guard let v = Double(text), v.isFinite, range.contains(v) else {
            throw ConfigError(
                variable: name,
                message:
                    "\(name) must be a number of seconds \(Self.format(range.lowerBound))–\(Self.format(range.upperBound)) (got \(quoted(text)))"
            )
        }
        return v
    }

    static func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }

    /// The outbox worker, reconciler and notification settings.
    func readBackground(_ c: inout AppConfig) throws(ConfigError) {
        c.outboxConcurrency = try int("OUTBOX_CONCURRENCY", default: c.outboxConcurrency, in: 0...32)
        c.outboxPollInterval = try seconds("OUTBOX_POLL_INTERVAL", default: c.outboxPollInterval, in: 0.05...60)
        c.outboxLeaseSeconds = try int(
            "OUTBOX_LEASE_SECONDS", default: c.outboxLeaseSeconds, in: 2...3600, unit: "seconds")
        c.outboxMaxAttempts = try int("OUTBOX_MAX_ATTEMPTS", default: c.outboxMaxAttempts, in: 1...100)
        c.outboxBackoffBase = try seconds("OUTBOX_BACKOFF_BASE", default: c.outboxBackoffBase, in: 0.01...3600)
        c.outboxBackoffMax = try seconds(
            "OUTBOX_BACKOFF_MAX", default: max(c.outboxBackoffMax, c.outboxBackoffBase), in: c.outboxBackoffBase...86400
        )
        c.outboxHTTPTimeout = try seconds("OUTBOX_HTTP_TIMEOUT", default: c.outboxHTTPTimeout, in: 0.5...120)
        // A job (one POST plus two short queries, each of which may wait up to the pool's checkout
        // timeout for a connection) must end before its lease does, or a second worker could run it
        // while the first is still waiting.
        let minimumLease = c.outboxHTTPTimeout + 2 * AppConfig.dbPoolCheckoutTimeout + 1
        guard Double(c.outboxLeaseSeconds) >= minimumLease else {
            throw ConfigError(
                variable: "OUTBOX_LEASE_SECONDS",
                message:
                    "OUTBOX_LEASE_SECONDS (\(c.outboxLeaseSeconds)) must be at least OUTBOX_HTTP_TIMEOUT + 2 × the pool's checkout timeout (\(Self.format(AppConfig.dbPoolCheckoutTimeout)) s) + 1 (\(Self.format(minimumLease)))"
            )
        }
        c.reconcileStaleAfter = try int(
            "RECONCILE_STALE_AFTER", default: c.reconcileStaleAfter, in: 0...86400, unit: "seconds")
        if let base = try httpURL("PUBLIC_BASE_URL") {
            var text = base.absoluteString
            while text.hasSuffix("/") { text.removeLast() }
            c.publicBaseURL = text
        }
        if c.appEnv == .production {
            // Pointing a production server at a simulator (or any plain-http "Stripe") would let
            // anyone fake payments: refuse.
            guard c.stripeAPIBase.scheme?.lowercased() == "https" else {
                throw ConfigError(
                    variable: "STRIPE_API_BASE", message: "STRIPE_API_BASE must be https:// when APP_ENV=production")
            }
        }
    }
}
