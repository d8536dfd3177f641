import CheckoutAPI
import Checkout
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
        #expect(c.outboxMaxAttempts == 20)
        #expect(c.outboxBackoffBase == 2)
        #expect(c.outboxBackoffMax == 600)
        #expect(c.outboxHTTPTimeout == 10)
        #expect(c.reconcileInterval == 300)
        #expect(c.reconcileStaleAfter == 900)
        #expect(c.publicBaseURL == nil)
    }

    @Test("the default retries ride out a supplier outage of about an hour, even with the shortest jitter")
    func defaultRetriesSurviveAnHour() throws {
        let c = try Self.load([:])
        let backoff = Backoff(base: c.outboxBackoffBase, cap: c.outboxBackoffMax)
        // Attempts 1…max-1 fail and wait; the last one gives up. unit 0 = the shortest jittered wait.
        let shortest = (1..<c.outboxMaxAttempts).reduce(0.0) { $0 + backoff.delay(afterAttempt: $1, unit: 0) }
        #expect(shortest >= 55 * 60, "gives up after \(shortest / 60) min")
        #expect(OutboxWorkerConfiguration().maxAttempts == c.outboxMaxAttempts)
    }

    @Test("every setting is read")
    func values() throws {
        let c = try Self.load([
            "OUTBOX_CONCURRENCY": "0", "OUTBOX_POLL_INTERVAL": "0.25", "OUTBOX_LEASE_SECONDS": "15",
            "OUTBOX_MAX_ATTEMPTS": "3", "OUTBOX_BACKOFF_BASE": "0.5", "OUTBOX_BACKOFF_MAX": "30",
            "OUTBOX_HTTP_TIMEOUT": "4", "RECONCILE_STALE_AFTER": "0", "PUBLIC_BASE_URL": "https://ops.example/",
        ])
        #expect(c.outboxConcurrency == 0)
        #expect(c.outboxPollInterval == 0.25)
        #expect(c.outboxLeaseSeconds == 15)
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
            // The lease covers the POST and two waits for a pooled connection (5 s each) + 1 s.
            (["OUTBOX_LEASE_SECONDS": "20", "OUTBOX_HTTP_TIMEOUT": "10"], "OUTBOX_LEASE_SECONDS"),
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

extension BackgroundConfigTests {
    static let production = [
        "APP_ENV": "production", "STRIPE_WEBHOOK_SECRET": "whsec_x", "ADMIN_TOKEN": "0123456789abcdef",
    ]

    @Test(
        "production refuses a plain-http Stripe API base and warns about unset fulfillment, notifications, reconciler")
    func productionChecks() throws {
        #expect(throws: ConfigError.self) {
            _ = try Self.load(Self.production.merging(["STRIPE_API_BASE": "http://127.0.0.1:12111"]) { _, n in n })
        }
        let bare = try Self.load(Self.production.merging(["RECONCILE_INTERVAL": "0"]) { _, n in n })
        #expect(bare.backgroundWarnings.contains { $0.hasPrefix("FULFILLMENT_WEBHOOK_URL is unset") })
        #expect(bare.backgroundWarnings.contains { $0.hasPrefix("NOTIFY_WEBHOOK_URL is unset") })
        #expect(bare.backgroundWarnings.contains { $0.hasPrefix("RECONCILE_INTERVAL=0") })
        #expect(!bare.warnings.contains { $0.contains("FULFILLMENT") || $0.contains("NOTIFY") })
        #expect(try Self.load(["RECONCILE_INTERVAL": "0"]).backgroundWarnings.isEmpty)
        let full = try Self.load(
            Self.production.merging([
                "FULFILLMENT_WEBHOOK_URL": "https://supplier.example/orders",
                "NOTIFY_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x",
            ]) { _, n in n })
        #expect(
            !full.backgroundWarnings.contains {
                $0.contains("FULFILLMENT") || $0.contains("NOTIFY") || $0.contains("RECONCILE")
            })
        // Outside production a simulator base is fine.
        #expect(try Self.load(["STRIPE_API_BASE": "http://127.0.0.1:12111"]).stripeAPIBase.scheme == "http")
    }
}

extension BackgroundConfigTests {
    @Test("ORDER_WEBHOOK_URL needs a secret of 16+ characters, https in production; unset writes no jobs")
    func orderWebhook() throws {
        let off = try Self.load([:])
        #expect(off.outbound.orderWebhookURL == nil)
        #expect(!off.outbound.settings.orderWebhooks)
        let on = try Self.load([
            "ORDER_WEBHOOK_URL": "http://erp.test/hooks", "ORDER_WEBHOOK_SECRET": "0123456789abcdef",
        ])
        #expect(on.outbound.orderWebhookURL?.absoluteString == "http://erp.test/hooks")
        #expect(on.outbound.orderWebhookSecret?.reveal() == "0123456789abcdef")
        #expect(on.outbound.settings.orderWebhooks)
        #expect("\(on.outbound)".contains("0123456789abcdef") == false)
        for name in ["ORDER_WEBHOOK_URL", "ORDER_WEBHOOK_SECRET"] { #expect(AppConfig.variables.contains(name)) }
        let lonely = try Self.load(["ORDER_WEBHOOK_SECRET": "0123456789abcdef"])
        #expect(lonely.warnings.contains { $0.hasPrefix("ORDER_WEBHOOK_SECRET is set but") })
        let bad: [([String: String], String)] = [
            (["ORDER_WEBHOOK_URL": "http://erp.test/hooks"], "ORDER_WEBHOOK_SECRET"),
            (["ORDER_WEBHOOK_URL": "http://erp.test/hooks", "ORDER_WEBHOOK_SECRET": "short"], "ORDER_WEBHOOK_SECRET"),
            (["ORDER_WEBHOOK_URL": "ftp://erp.test", "ORDER_WEBHOOK_SECRET": "0123456789abcdef"], "ORDER_WEBHOOK_URL"),
            (
                Self.production.merging([
                    "ORDER_WEBHOOK_URL": "http://erp.test/hooks", "ORDER_WEBHOOK_SECRET": "0123456789abcdef",
                ]) { _, n in n }, "ORDER_WEBHOOK_URL"
            ),
        ]
        for (overrides, variable) in bad {
            #expect {
                _ = try Self.load(overrides)
            } throws: { error in
                (error as? ConfigError)?.variable == variable
            }
        }
    }
}
