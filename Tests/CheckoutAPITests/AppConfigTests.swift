import CheckoutAPI
import Testing

/// The minimum environment that loads.
private let base: [String: String] = [
    "DATABASE_URL": "postgres://app:pw@127.0.0.1:5432/checkout",
    "STRIPE_SECRET_KEY": "sk_test_51abcdefghijkl",
]

private func load(_ overrides: [String: String], dotEnv: String? = nil) throws(ConfigError) -> AppConfig {
    var env = base
    for (k, v) in overrides { env[k] = v }
    return try AppConfig.load(environment: env, dotEnv: dotEnv)
}

@Suite("AppConfig")
struct AppConfigTests {
    @Test("defaults of docs/API.md §1")
    func defaults() throws {
        let c = try load([:])
        #expect(c.host == "127.0.0.1")
        #expect(c.port == 8080)
        #expect(c.dbPoolSize == 8)
        #expect(c.stripeAPIBase.absoluteString == "https://api.stripe.com")
        #expect(c.stripeWebhookSecrets.isEmpty)
        #expect(c.stripeWebhookTolerance == 300)
        #expect(c.publicOrigin == "http://localhost:3000")
        #expect(c.corsAllowedOrigins == ["http://localhost:3000"])
        #expect(c.adminToken == nil)
        #expect(c.appEnv == .development)
        #expect(c.checkoutSessionTTL == 3600)
        #expect(c.orderNumberPrefix == "DO")
        #expect(c.fulfillmentWebhookURL == nil)
        #expect(c.notifyWebhookURL == nil)
        #expect(c.logLevel == "info")
        #expect(c.logFormat == .json)
        #expect(c.httpMaxBodyBytes == 1 << 20)
        #expect(c.stripeTimeout == 10 && c.stripeMaxRetries == 2)
        #expect(c.effectiveStripeConcurrency == c.httpWorkerThreads / 2)
        #expect(try load(["HTTP_WORKER_THREADS": "1"]).effectiveStripeConcurrency == 1)
        #expect(try load(["STRIPE_CONCURRENCY": "3"]).effectiveStripeConcurrency == 3)
    }

    /// (variable, value, what the loaded config then holds, as ``observed(_:_:)`` renders it).
    static let good: [(String, String, String)] = [
        ("PORT", "0", "0"), ("PORT", "65535", "65535"), ("PORT", " 9000 ", "9000"), ("DB_POOL_SIZE", "1", "1"),
        ("DB_POOL_SIZE", "200", "200"), ("STRIPE_SECRET_KEY", "sk_live_abc", "sk_live_abc"),
        ("STRIPE_SECRET_KEY", "rk_test_abc", "rk_test_abc"),
        ("STRIPE_API_BASE", "http://127.0.0.1:12111", "http://127.0.0.1:12111"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_a", "whsec_a"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_a, whsec_b", "whsec_a|whsec_b"),
        ("STRIPE_WEBHOOK_TOLERANCE", "1", "1"), ("PUBLIC_ORIGIN", "https://shop.example", "https://shop.example"),
        ("PUBLIC_ORIGIN", "https://shop.example:8443/", "https://shop.example:8443"),
        ("CORS_ALLOWED_ORIGINS", "https://a.example,https://b.example", "https://a.example|https://b.example"),
        ("CORS_ALLOWED_ORIGINS", "*", "*"), ("ADMIN_TOKEN", "x", "x"), ("APP_ENV", "test", "test"),
        ("APP_ENV", "Staging", "staging"), ("CHECKOUT_SESSION_TTL", "1800", "1800"),
        ("CHECKOUT_SESSION_TTL", "86400", "86400"), ("ORDER_NUMBER_PREFIX", "SHOP2", "SHOP2"),
        ("FULFILLMENT_WEBHOOK_URL", "https://supplier.example/orders", "https://supplier.example/orders"),
        (
            "NOTIFY_WEBHOOK_URL", "https://hooks.slack.example/services/T/B/X",
            "https://hooks.slack.example/services/T/B/X"
        ),
        ("RECONCILE_INTERVAL", "0", "0"), ("RECONCILE_INTERVAL", "60", "60"), ("LOG_LEVEL", "DEBUG", "debug"),
        ("LOG_LEVEL", "trace", "trace"), ("LOG_FORMAT", "text", "text"), ("HTTP_WORKER_THREADS", "4", "4"),
        ("HTTP_MAX_BODY_BYTES", "2048", "2048"), ("SHUTDOWN_GRACE", "0", "0"),
        ("STRIPE_CONCURRENCY", "1", "1"), ("STRIPE_CONCURRENCY", "15", "15"), ("STRIPE_TIMEOUT", "1", "1"),
        ("STRIPE_TIMEOUT", "60", "60"), ("STRIPE_MAX_RETRIES", "0", "0"), ("STRIPE_MAX_RETRIES", "5", "5"),
        ("TRUSTED_PROXIES", "10.0.0.0/8, ::1, 192.0.2.7", "10.0.0.0/8|::1/128|192.0.2.7/32"),
        ("ADMIN_TOKEN", "", "nil"),  // empty = unset
        ("STRIPE_WEBHOOK_SECRET", "", ""),
    ]

    /// The field `variable` sets, rendered as text (lists joined with `|`, nil as `nil`), so a good value
    /// is checked for what it loads, not only for loading.
    static func observed(_ c: AppConfig, _ variable: String) -> String? {
        switch variable {
        case "PORT": return "\(c.port)"
        case "DB_POOL_SIZE": return "\(c.dbPoolSize)"
        case "STRIPE_SECRET_KEY": return c.stripeSecretKey.reveal()
        case "STRIPE_API_BASE": return c.stripeAPIBase.absoluteString
        case "STRIPE_WEBHOOK_SECRET": return c.stripeWebhookSecrets.map { $0.reveal() }.joined(separator: "|")
        case "STRIPE_WEBHOOK_TOLERANCE": return "\(c.stripeWebhookTolerance)"
        case "PUBLIC_ORIGIN": return c.publicOrigin
        case "CORS_ALLOWED_ORIGINS": return c.corsAllowedOrigins.joined(separator: "|")
        case "ADMIN_TOKEN": return c.adminToken?.reveal() ?? "nil"
        case "APP_ENV": return c.appEnv.rawValue
        case "CHECKOUT_SESSION_TTL": return "\(c.checkoutSessionTTL)"
        case "ORDER_NUMBER_PREFIX": return c.orderNumberPrefix
        case "FULFILLMENT_WEBHOOK_URL": return c.fulfillmentWebhookURL?.absoluteString ?? "nil"
        case "NOTIFY_WEBHOOK_URL": return c.notifyWebhookURL?.reveal() ?? "nil"
        case "RECONCILE_INTERVAL": return "\(c.reconcileInterval)"
        case "LOG_LEVEL": return c.logLevel
        case "LOG_FORMAT": return c.logFormat.rawValue
        case "HTTP_WORKER_THREADS": return "\(c.httpWorkerThreads)"
        case "HTTP_MAX_BODY_BYTES": return "\(c.httpMaxBodyBytes)"
        case "SHUTDOWN_GRACE": return "\(c.shutdownGrace)"
        case "STRIPE_CONCURRENCY": return "\(c.effectiveStripeConcurrency)"
        case "STRIPE_TIMEOUT": return "\(c.stripeTimeout)"
        case "STRIPE_MAX_RETRIES": return "\(c.stripeMaxRetries)"
        case "TRUSTED_PROXIES": return c.trustedProxies.networks.map(\.description).joined(separator: "|")
        default: return nil
        }
    }

    @Test("good values load and are what the config holds", arguments: good)
    func goodValue(variable: String, value: String, expected: String) throws {
        let config = try load([variable: value])
        let got = try #require(Self.observed(config, variable), "no field known for \(variable)")
        #expect(got == expected)
    }

    /// (variable, value, expected line) for values that must stop start-up.
    static let bad: [(String, String, String)] = [
        ("PORT", "abc", #"config: PORT must be an integer 0–65535 (got "abc")"#),
        ("PORT", "65536", #"config: PORT must be an integer 0–65535 (got "65536")"#),
        ("PORT", "-1", #"config: PORT must be an integer 0–65535 (got "-1")"#),
        ("DB_POOL_SIZE", "0", #"config: DB_POOL_SIZE must be an integer 1–200 (got "0")"#),
        ("STRIPE_CONCURRENCY", "0", #"config: STRIPE_CONCURRENCY must be an integer 1–15 (got "0")"#),
        ("STRIPE_CONCURRENCY", "16", #"config: STRIPE_CONCURRENCY must be an integer 1–15 (got "16")"#),
        ("STRIPE_TIMEOUT", "0", #"config: STRIPE_TIMEOUT must be an integer 1–60 (seconds) (got "0")"#),
        ("STRIPE_MAX_RETRIES", "6", #"config: STRIPE_MAX_RETRIES must be an integer 0–5 (got "6")"#),
        (
            "TRUSTED_PROXIES", "10.0.0.0/8, nope",
            #"config: TRUSTED_PROXIES must be IPv4/IPv6 addresses or CIDRs separated by commas (entry 2 is not: "10.0.0.0/8, nope")"#
        ),
        ("DATABASE_URL", "", "config: DATABASE_URL is required (a libpq URI like postgres://user:pass@host:5432/db)"),
        (
            "DATABASE_URL", "mysql://x",
            "config: DATABASE_URL must be a postgres:// URI or a libpq key=value string (value not shown)"
        ),
        ("STRIPE_SECRET_KEY", "", "config: STRIPE_SECRET_KEY is required (sk_test_…, sk_live_… or rk_…)"),
        (
            "STRIPE_SECRET_KEY", "pk_test_abc",
            "config: STRIPE_SECRET_KEY must start with sk_test_, sk_live_, rk_test_ or rk_live_ (value not shown)"
        ),
        (
            "STRIPE_SECRET_KEY", "sk_test_",
            "config: STRIPE_SECRET_KEY must start with sk_test_, sk_live_, rk_test_ or rk_live_ (value not shown)"
        ),
        ("STRIPE_API_BASE", "ftp://x", #"config: STRIPE_API_BASE must be an absolute http(s) URL (got "ftp://x")"#),
        (
            "STRIPE_WEBHOOK_SECRET", "whsec_a,sekrit",
            "config: STRIPE_WEBHOOK_SECRET must be whsec_… values separated by commas (entry 2 is not; value not shown)"
        ),
        (
            "STRIPE_WEBHOOK_SECRET", "whsec_a,,whsec_b",
            "config: STRIPE_WEBHOOK_SECRET must be whsec_… values separated by commas (entry 2 is not; value not shown)"
        ),
        (
            "STRIPE_WEBHOOK_TOLERANCE", "0",
            #"config: STRIPE_WEBHOOK_TOLERANCE must be an integer 1–86400 (seconds) (got "0")"#
        ),
        (
            "PUBLIC_ORIGIN", "shop.example",
            #"config: PUBLIC_ORIGIN must be an http(s) origin like https://shop.example (optionally with a path) (got "shop.example")"#
        ),
        (
            "PUBLIC_ORIGIN", "https://shop.example/?q=1",
            #"config: PUBLIC_ORIGIN must be an http(s) origin like https://shop.example (optionally with a path) (got "https://shop.example/?q=1")"#
        ),
        (
            "CORS_ALLOWED_ORIGINS", "https://a.example,nope",
            #"config: CORS_ALLOWED_ORIGINS must be an origin like https://shop.example (got "nope")"#
        ),
        ("APP_ENV", "prod", #"config: APP_ENV must be one of development, test, staging, production (got "prod")"#),
        (
            "CHECKOUT_SESSION_TTL", "1799",
            #"config: CHECKOUT_SESSION_TTL must be an integer 1800–86400 (seconds) (got "1799")"#
        ),
        (
            "CHECKOUT_SESSION_TTL", "86401",
            #"config: CHECKOUT_SESSION_TTL must be an integer 1800–86400 (seconds) (got "86401")"#
        ),
        (
            "CHECKOUT_SESSION_TTL", "1h",
            #"config: CHECKOUT_SESSION_TTL must be an integer 1800–86400 (seconds) (got "1h")"#
        ),
        (
            "ORDER_NUMBER_PREFIX", "do",
            #"config: ORDER_NUMBER_PREFIX must be 1–10 upper-case letters or digits (got "do")"#
        ),
        (
            "ORDER_NUMBER_PREFIX", "ABCDEFGHIJK",
            #"config: ORDER_NUMBER_PREFIX must be 1–10 upper-case letters or digits (got "ABCDEFGHIJK")"#
        ),
        (
            "FULFILLMENT_WEBHOOK_URL", "/relative",
            #"config: FULFILLMENT_WEBHOOK_URL must be an absolute http(s) URL (got "/relative")"#
        ),
        ("NOTIFY_WEBHOOK_URL", "hooks/T/secret", "config: NOTIFY_WEBHOOK_URL must be an absolute http(s) URL"),
        ("RECONCILE_INTERVAL", "5", #"config: RECONCILE_INTERVAL must be 0 (off) or 10–86400 seconds (got "5")"#),
        (
            "LOG_LEVEL", "verbose",
            #"config: LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical (got "verbose")"#
        ),
        ("LOG_FORMAT", "xml", #"config: LOG_FORMAT must be json or text (got "xml")"#),
        (
            "HTTP_MAX_BODY_BYTES", "10",
            #"config: HTTP_MAX_BODY_BYTES must be an integer 1024–67108864 (bytes) (got "10")"#
        ),
    ]

    @Test("bad values stop start-up with one line naming the variable", arguments: bad)
    func badValue(variable: String, value: String, line: String) {
        #expect(throws: ConfigError(variable: variable, message: String(line.dropFirst("config: ".count)))) {
            try load([variable: value])
        }
        #expect(line.hasPrefix("config: \(variable) "))
        #expect(!line.contains("\n"))
    }

    @Test("secret values never appear in error lines")
    func secretsNotEchoed() {
        for (variable, value) in [
            ("STRIPE_SECRET_KEY", "pk_live_TOPSECRET"), ("STRIPE_WEBHOOK_SECRET", "whsec_ok,TOPSECRET"),
            ("DATABASE_URL", "mysql://u:TOPSECRET@h/db"), ("NOTIFY_WEBHOOK_URL", "hooks/TOPSECRET"),
        ] {
            do {
                _ = try load([variable: value])
                Issue.record("\(variable) should have been rejected")
            } catch {
                #expect(!error.description.contains("TOPSECRET"), "\(variable)")
            }
        }
    }

    @Test("production requires the webhook secret and an admin token, and warns on a test key")
    func production() throws {
        #expect(
            throws: ConfigError(
                variable: "STRIPE_WEBHOOK_SECRET", message: "STRIPE_WEBHOOK_SECRET is required when APP_ENV=production")
        ) {
            try load(["APP_ENV": "production", "ADMIN_TOKEN": "0123456789abcdef"])
        }
        #expect(
            throws: ConfigError(variable: "ADMIN_TOKEN", message: "ADMIN_TOKEN is required when APP_ENV=production")
        ) {
            try load(["APP_ENV": "production", "STRIPE_WEBHOOK_SECRET": "whsec_x"])
        }
        #expect(throws: ConfigError.self) {
            try load(["APP_ENV": "production", "STRIPE_WEBHOOK_SECRET": "whsec_x", "ADMIN_TOKEN": "short"])
        }
        let c = try load([
            "APP_ENV": "production", "STRIPE_WEBHOOK_SECRET": "whsec_x", "ADMIN_TOKEN": "0123456789abcdef",
        ])
        #expect(c.appEnv == .production)
        #expect(c.warnings.contains { $0.contains("test-mode key") })
        let live = try load([
            "APP_ENV": "production", "STRIPE_WEBHOOK_SECRET": "whsec_x", "ADMIN_TOKEN": "0123456789abcdef",
            "STRIPE_SECRET_KEY": "sk_live_x",
        ])
        #expect(live.warnings.isEmpty)
    }

    @Test("webhook secrets: a comma list, trimmed, in order")
    func webhookSecrets() throws {
        let c = try load(["STRIPE_WEBHOOK_SECRET": " whsec_new , whsec_old "])
        #expect(c.stripeWebhookSecrets.map { $0.reveal() } == ["whsec_new", "whsec_old"])
    }

    @Test("CORS defaults to PUBLIC_ORIGIN's origin; trailing slash dropped; a path prefix is kept")
    func cors() throws {
        let demo = try load(["PUBLIC_ORIGIN": "http://localhost:8080/demo/"])
        #expect(demo.publicOrigin == "http://localhost:8080/demo")
        #expect(demo.corsAllowedOrigins == ["http://localhost:8080"])
        let c = try load(["PUBLIC_ORIGIN": "https://shop.example/"])
        #expect(c.publicOrigin == "https://shop.example")
        #expect(c.corsAllowedOrigins == ["https://shop.example"])
    }

    @Test(".env is read and the environment wins")
    func dotEnvPrecedence() throws {
        let text = """
            # comment
            export PORT=9001
            HOST="0.0.0.0"
            ADMIN_TOKEN='from-file-token' # trailing comment
            LOG_FORMAT=text
            """
        let c = try AppConfig.load(environment: base.merging(["PORT": "9002"]) { $1 }, dotEnv: text)
        #expect(c.port == 9002)
        #expect(c.host == "0.0.0.0")
        #expect(c.adminToken?.reveal() == "from-file-token")
        #expect(c.logFormat == .text)
        // Required values may come from .env alone.
        let fromFile = try AppConfig.load(
            environment: [:], dotEnv: "DATABASE_URL=host=/tmp dbname=x\nSTRIPE_SECRET_KEY=sk_test_zz\n")
        #expect(fromFile.databaseURL.reveal() == "host=/tmp dbname=x")
    }

    @Test("a Secret never prints its value")
    func secretDescription() throws {
        let c = try load(["ADMIN_TOKEN": "tok_TOPSECRET", "STRIPE_WEBHOOK_SECRET": "whsec_TOPSECRET"])
        let printed = "\(c) \(String(describing: c.adminToken)) \(c.stripeWebhookSecrets)"
        var dumped = ""
        dump(c, to: &dumped)
        #expect(!printed.contains("TOPSECRET"))
        #expect(!dumped.contains("TOPSECRET"))
        #expect(!dumped.contains("sk_test_51abcdefghijkl"))
        #expect(!dumped.contains("pw@"))
    }
}
