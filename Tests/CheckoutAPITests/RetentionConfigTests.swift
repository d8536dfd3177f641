import Checkout
import Testing

@testable import CheckoutAPI

/// The retention settings and counters (the task itself: Tests/CheckoutTests/RetentionTests.swift).
@Suite("Retention configuration and metrics")
struct RetentionConfigTests {
    static let base = ["DATABASE_URL": "postgres://x", "STRIPE_SECRET_KEY": "sk_test_1"]

    @Test("defaults: hourly passes, 7 d outbox, 90 d payloads, 30 d unpaid emails")
    func defaults() throws {
        let c = try AppConfig.load(environment: Self.base)
        #expect(c.retentionInterval == 3600)
        #expect(c.outboxRetention == 7 * 86_400)
        #expect(c.eventPayloadRetention == 90 * 86_400)
        #expect(c.unpaidOrderRetention == 30 * 86_400)
    }

    @Test(
        "periods in seconds or with a unit; 0 = never",
        arguments: [
            ("604800", 604_800), ("7d", 604_800), ("12h", 43_200), ("90D", 7_776_000), ("3600s", 3600), ("60m", 3600),
            ("0", 0),
        ])
    func periods(text: String, seconds: Int) throws {
        var env = Self.base
        env["EVENT_PAYLOAD_RETENTION"] = text
        #expect(try AppConfig.load(environment: env).eventPayloadRetention == seconds)
    }

    @Test(
        "bad values stop start-up naming the variable",
        arguments: [
            ("OUTBOX_RETENTION", "30m"), ("OUTBOX_RETENTION", "7 days"), ("UNPAID_ORDER_RETENTION", "-1d"),
            ("EVENT_PAYLOAD_RETENTION", "3651d"), ("EVENT_PAYLOAD_RETENTION", "d"), ("RETENTION_INTERVAL", "30"),
            ("RETENTION_INTERVAL", "1h"),
        ])
    func rejected(variable: String, value: String) {
        var env = Self.base
        env[variable] = value
        #expect(throws: ConfigError.self) { try AppConfig.load(environment: env) }
        do {
            _ = try AppConfig.load(environment: env)
        } catch {
            #expect(error.variable == variable)
            #expect(error.description.contains(variable))
        }
    }

    @Test("/metrics counts passes and removals by kind")
    func metrics() {
        let m = RetentionMetrics()
        #expect(m.render().contains(#"retention_removed_total{kind="order_emails"} 0"#))
        var report = RetentionReport()
        report.outboxJobs = 3
        report.eventPayloads = 2
        m.record(report)
        report = RetentionReport()
        report.skipped = true
        m.record(report)
        let text = m.render()
        #expect(text.contains(#"retention_removed_total{kind="outbox_jobs"} 3"#))
        #expect(text.contains(#"retention_removed_total{kind="event_payloads"} 2"#))
        #expect(text.contains(#"retention_passes_total{result="ok"} 1"#))
        #expect(text.contains(#"retention_passes_total{result="skipped"} 1"#))
        #expect(m.removed("outbox_jobs") == 3)
    }
}
