import CheckoutAPI
import Foundation
import Logging
import Postgres
import Stripe
import TestSupport

/// The real server, started in-process on port 0 against a fresh database of its own.
///
/// Everything a test touches is its own (database, port, log sink), so tests run in parallel.
/// `stop()` shuts the server down gracefully and drops the database.
final class AppHarness: Sendable {
    /// Admin token of every harness unless a test overrides it.
    static let adminToken = "test-admin-token-0123456789abcdef"
    /// Webhook signing secret shared with the simulator.
    static let webhookSecret = "whsec_test_harness_secret_0123456789"
    /// The Stripe key the app uses (the simulator accepts any well-formed test key).
    static let stripeKey = "sk_test_harness_0123456789abcdef"

    let database: TestDatabase
    let running: RunningApp
    let logs: LogSink

    var port: Int { running.port }
    var app: App { running.app }
    var config: AppConfig { running.app.config }

    private init(database: TestDatabase, running: RunningApp, logs: LogSink) {
        self.database = database
        self.running = running
        self.logs = logs
    }

    /// The configuration a harness starts with, before `configure` edits it.
    static func baseConfig(databaseURL: String) -> AppConfig {
        var config = AppConfig(databaseURL: databaseURL, stripeSecretKey: stripeKey)
        config.port = 0
        config.dbPoolSize = 6
        config.httpWorkerThreads = 8
        config.stripeWebhookSecrets = [Secret(webhookSecret)]
        config.adminToken = Secret(adminToken)
        config.rateLimitPerMinute = 0
        config.shutdownGrace = 2
        config.reconcileInterval = 0
        config.migrationsDirectory = TestEnvironment.repoRoot.appendingPathComponent("sql").path
        config.openAPIPath = TestEnvironment.repoRoot.appendingPathComponent("openapi.yaml").path
        config.publicOrigin = "http://shop.test"
        config.corsAllowedOrigins = ["http://shop.test"]
        config.logLevel = "debug"
        return config
    }

    /// Starts the app on a new database; `configure` may change the config first.
    /// `redactLogs: false` captures logs without the sink's secret scrubbing (to prove nothing logs secrets).
    static func start(redactLogs: Bool = true, configure: (inout AppConfig) -> Void = { _ in }) throws -> AppHarness {
        let database = try TestDatabase.create()
        var config = baseConfig(databaseURL: database.url)
        configure(&config)
        let logs = LogSink.memory()
        let logger =
            redactLogs
            ? config.makeLogger(label: "checkoutd.test", sink: logs)
            : Logger(
                label: "checkoutd.test",
                factory: StructuredLogHandler.factory(format: .json, level: .trace, sink: logs))
        // Short Stripe backoff so fault tests stay fast; the retry count is the product's default (2).
        let stripe = StripeClient(
            secretKey: config.stripeSecretKey.reveal(), apiBase: config.stripeAPIBase, timeout: .seconds(5),
            maxRetries: 2, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50),
            maxRetryAfter: .milliseconds(100))
        do {
            let running = try App.start(config: config, logger: logger, stripe: stripe)
            return AppHarness(database: database, running: running, logs: logs)
        } catch {
            database.drop()
            throw error
        }
    }

    /// Stops the server and drops the database.
    func stop() {
        running.stop()
        database.drop()
    }

    /// One request to this server.
    func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) throws -> TestHTTPResponse {
        try TestHTTPClient.request(port: port, method: method, path: path, headers: headers, body: body)
    }

    /// A JSON request (`Content-Type: application/json`).
    func json(
        _ method: String, _ path: String, _ object: Any, headers: [(String, String)] = []
    ) throws -> TestHTTPResponse {
        let body = try JSONSerialization.data(withJSONObject: object)
        return try request(method, path, headers: [("Content-Type", "application/json")] + headers, body: Array(body))
    }

    /// An admin request with the harness token.
    func admin(_ method: String, _ path: String, json object: Any? = nil) throws -> TestHTTPResponse {
        let auth = ("Authorization", "Bearer \(Self.adminToken)")
        if let object { return try json(method, path, object, headers: [auth]) }
        return try request(method, path, headers: [auth])
    }
}

extension TestHTTPResponse {
    /// `error.code` of an API error body, or nil.
    var errorCode: String? { ((try? json())?["error"] as? [String: Any])?["code"] as? String }
    /// `error.field` of an API error body, or nil.
    var errorField: String? { ((try? json())?["error"] as? [String: Any])?["field"] as? String }
}
