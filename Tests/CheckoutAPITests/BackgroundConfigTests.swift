import CheckoutAPI
import Testing

@Suite("AppConfig: outbox worker, reconciler and notification settings")
struct BackgroundConfigTests {
    static let base: [String: String] = [
        "DATABASE_URL": "postgres://app:pw@127.0.0.1:5432/checkout", "STRIPE_SECRET_KEY": "sk_test_51abcdefghijkl",
    ]

    static func load(_ overrides: [String: String]) throws(ConfigError) -> AppConfig {
        try AppConfig.load(environment: base.merging(overrides) { _, new in new })
    }

    @Test("defaults")
    func defaults() throws {
        let c = try Self.load([:])
        #expect(c.outboxConcurrency == 2)
        #expect(c.outboxPollInterval == 1)
        #expect(c.outboxLeaseSeconds == 60)
        #expect(c.outboxMaxAttempts == 8)
        #expect(c.outboxBackoffBase == 2)
        #expect(c.outboxBackoffMax == 600)
        #expect(c.outboxHTTPTimeout == 10)
        #expect(c.reconcileInterval == 300)
        #expect(c.reconcileStaleAfter == 900)
        #expect(c.publicBaseURL == nil)
    }

    @Test("every setting is read")
    func values() throws {
        let c = try Self.load([
            "OUTBOX_CONCURRENCY": "0", "OUTBOX_POLL_INTERVAL": "0.25", "OUTBOX_LEASE_SECONDS": "5",
            "OUTBOX_MAX_ATTEMPTS": "3", "OUTBOX_BACKOFF_BASE": "0.5", "OUTBOX_BACKOFF_MAX": "30",
            "OUTBOX_HTTP_TIMEOUT": "4", "RECONCILE_STALE_AFTER": "0", "PUBLIC_BASE_URL": "https://ops.example/",
        ])
        #expect(c.outboxConcurrency == 0)
        #expect(c.outboxPollInterval == 0.25)
        #expect(c.outboxLeaseSeconds == 5)
        #expect(c.outboxMaxAttempts == 3)
        #expect(c.outboxBackoffBase == 0.5)
        #expect(c.outboxBackoffMax == 30)
        #expect(c.outboxHTTPTimeout == 4)
        #expect(c.reconcileStaleAfter == 0)
        #expect(c.publicBaseURL == "https://ops.example")
        for name in ["OUTBOX_CONCURRENCY", "OUTBOX_LEASE_SECONDS", "RECONCILE_STALE_AFTER", "PUBLIC_BASE_URL"] {
            #expect(AppConfig.variables.contains(name))
        }
    }

    @Test(
        "bad values name their variable",
        arguments: [
            (["OUTBOX_CONCURRENCY": "33"], "OUTBOX_CONCURRENCY"), (["OUTBOX_CONCURRENCY": "-1"], "OUTBOX_CONCURRENCY"),
            (["OUTBOX_POLL_INTERVAL": "0"], "OUTBOX_POLL_INTERVAL"),
            (["OUTBOX_POLL_INTERVAL": "fast"], "OUTBOX_POLL_INTERVAL"),
            (["OUTBOX_LEASE_SECONDS": "1"], "OUTBOX_LEASE_SECONDS"),
            (["OUTBOX_LEASE_SECONDS": "10", "OUTBOX_HTTP_TIMEOUT": "10"], "OUTBOX_LEASE_SECONDS"),
            (["OUTBOX_MAX_ATTEMPTS": "0"], "OUTBOX_MAX_ATTEMPTS"),
            (["OUTBOX_BACKOFF_BASE": "0"], "OUTBOX_BACKOFF_BASE"),
            (["OUTBOX_BACKOFF_BASE": "5", "OUTBOX_BACKOFF_MAX": "1"], "OUTBOX_BACKOFF_MAX"),
            (["OUTBOX_HTTP_TIMEOUT": "nan"], "OUTBOX_HTTP_TIMEOUT"),
            (["RECONCILE_STALE_AFTER": "-5"], "RECONCILE_STALE_AFTER"),
            (["PUBLIC_BASE_URL": "ftp://ops.example"], "PUBLIC_BASE_URL"),
        ])
    func bad(overrides: [String: String], variable: String) {
        #expect {
            _ = try Self.load(overrides)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.variable == variable && error.description.hasPrefix("config: \(variable)")
        }
    }
}
