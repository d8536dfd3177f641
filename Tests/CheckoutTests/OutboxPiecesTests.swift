import Dispatch
import Synchronization
import Checkout
import Foundation
import Postgres
import Testing
import TestSupport

/// The outbox's pure pieces: backoff, money formatting, notification text, the supplier's reference.
@Suite("Outbox pure pieces")
struct OutboxPiecesTests {
    @Test(
        "backoff ceiling doubles from the base and stops at the cap",
        arguments: [
            (1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (9, 512.0), (10, 600.0), (60, 600.0), (1000, 600.0), (0, 2.0),
        ])
    func backoffCeiling(attempt: Int, expected: Double) {
        #expect(Backoff(base: 2, cap: 600).ceiling(afterAttempt: attempt) == expected)
    }

    @Test("jittered delay stays within [ceiling/2, ceiling]", arguments: [0.0, 0.25, 0.5, 1.0, -3.0, 7.0])
    func backoffJitter(unit: Double) {
        let backoff = Backoff(base: 0.5, cap: 30)
        for attempt in 1...12 {
            let ceiling = backoff.ceiling(afterAttempt: attempt)
            let d = backoff.delay(afterAttempt: attempt, unit: unit)
            #expect(d >= ceiling / 2 && d <= ceiling, "attempt \(attempt): \(d)")
        }
        #expect(backoff.delay(afterAttempt: 1, unit: 0) == 0.25)
        #expect(backoff.delay(afterAttempt: 1, unit: 1) == 0.5)
        // A cap below the base is raised to the base, never below it.
        #expect(Backoff(base: 5, cap: 1).ceiling(afterAttempt: 3) == 5)
    }

    @Test(
        "amounts are formatted with the currency's exponent, exactly",
        arguments: [
            (Int64(1250), "eur", "12.50 EUR"), (5, "usd", "0.05 USD"), (0, "gbp", "0.00 GBP"), (100, "EUR", "1.00 EUR"),
            (1200, "jpy", "1200 JPY"), (1200, "krw", "1200 KRW"), (12345, "kwd", "12.345 KWD"), (7, "bhd", "0.007 BHD"),
            (-250, "eur", "-2.50 EUR"), (999_999_999_999, "usd", "9999999999.99 USD"),
        ])
    func money(minor: Int64, currency: String, expected: String) {
        #expect(Money.format(minor, currency: currency) == expected)
    }

    @Test("needs-attention text: order number, amount, reason, admin link; Slack control characters escaped")
    func attentionText() {
        let id = UUID(uuidString: "6F1C0B7A-0000-4000-8000-000000000001")!
        let url = NotificationText.adminURL(base: "https://ops.example/", orderID: id)
        #expect(url == "https://ops.example/admin/#/orders/6f1c0b7a-0000-4000-8000-000000000001")
        let text = NotificationText.render(
            .init(
                kind: .needsAttention, orderNumber: "DO-20261121-0042", amountTotal: 2500, currency: "eur",
                reason: "fulfillment failed: <script> & <!channel>", reference: nil, adminURL: url))
        #expect(
            text
                == ":warning: Order DO-20261121-0042 (25.00 EUR) needs attention: fulfillment failed: &lt;script&gt; &amp; &lt;!channel&gt;. <https://ops.example/admin/#/orders/6f1c0b7a-0000-4000-8000-000000000001|Open in admin>"
        )
    }

    @Test("order-confirmed text carries the reference when there is one")
    func confirmedText() {
        let facts = NotificationText.Facts(
            kind: .orderConfirmed, orderNumber: "DO-1", amountTotal: 1200, currency: "jpy", reason: nil,
            reference: "SUP-9", adminURL: "http://x/admin/#/orders/1")
        #expect(
            NotificationText.render(facts)
                == ":white_check_mark: Order DO-1 (1200 JPY) confirmed, fulfillment reference SUP-9. <http://x/admin/#/orders/1|Open in admin>"
        )
        var none = facts
        none.reference = nil
        #expect(NotificationText.render(none).contains("confirmed. <http://x"))
    }

    @Test(
        "the supplier's reference: a non-empty string of at most 255 characters in a JSON object, else none",
        arguments: [
            (#"{"reference":"SUP-1"}"#, "SUP-1" as String?), (#"{"reference":"  R 2 "}"#, "R 2"),
            (#"{"reference":""}"#, nil), (#"{"reference":42}"#, nil), (#"{"ref":"x"}"#, nil), ("", nil),
            ("not json", nil), (#"["SUP-1"]"#, nil), (#"{"reference":"\#(String(repeating: "a", count: 256))"}"#, nil),
        ])
    func reference(body: String, expected: String?) {
        #expect(FulfillmentJob.reference(in: Array(body.utf8)) == expected)
    }
}

/// `OutboxQueue` against real Postgres: exclusive claims, leases, fencing.
@Suite("Outbox queue (real Postgres)")
struct OutboxQueueTests {
    static func enqueue(_ pool: ConnectionPool, _ n: Int, kind: String = "test") throws {
        try pool.transaction { db in
            for i in 0..<n {
                try OutboxStore().enqueue(
                    db, kind: kind, orderID: nil, payload: ["i": "\(i)"], dedupeKey: "\(kind):\(i)")
            }
        }
    }

    @Test("concurrent claimers never get the same job (FOR UPDATE SKIP LOCKED)")
    func exclusiveClaims() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let pool = database.pool(max: 8)
        defer { pool.close() }
        try Self.enqueue(pool, 200)
        let claimed = Claimed()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            while true {
                let jobs =
                    (try? pool.withConnection { db in
                        try OutboxQueue().claim(db, instance: "w\(worker)", limit: 3, leaseSeconds: 60, maxAttempts: 5)
                    }) ?? []
                if jobs.isEmpty { break }
                claimed.add(jobs.map(\.id))
            }
        }
        let ids = claimed.ids
        #expect(ids.count == 200)
        #expect(Set(ids).count == 200)
    }

    @Test("completion is fenced on (id, locked_by, attempts); an expired lease is claimed again")
    func fencing() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let pool = database.pool(max: 2)
        defer { pool.close() }
        try Self.enqueue(pool, 1)
        let queue = OutboxQueue()
        try pool.withConnection { db in
            let first = try #require(
                try queue.claim(db, instance: "a", limit: 5, leaseSeconds: 60, maxAttempts: 3).first)
            #expect(first.attempt == 1 && !first.reclaimed && first.maxAttempts == 3)
            // Leased: nobody else gets it.
            #expect(try queue.claim(db, instance: "b", limit: 5, leaseSeconds: 60, maxAttempts: 3).isEmpty)
            // The lease runs out (simulated): "b" takes it over as attempt 2.
            try db.execute("UPDATE outbox_jobs SET locked_until = now() - interval '1 second'")
            let second = try #require(
                try queue.claim(db, instance: "b", limit: 5, leaseSeconds: 60, maxAttempts: 3).first)
            #expect(second.attempt == 2 && second.reclaimed)
            // "a" comes back late: none of its results count.
            #expect(try !queue.complete(db, first))
            #expect(try !queue.retry(db, first, delaySeconds: 0, error: "late"))
            #expect(try !queue.fail(db, first, error: "late"))
            // "b" retries: pending again, due later, with the error recorded.
            #expect(try queue.retry(db, second, delaySeconds: 30, error: "HTTP 500"))
            #expect(try queue.claim(db, instance: "c", limit: 5, leaseSeconds: 60, maxAttempts: 3).isEmpty)
            try db.execute("UPDATE outbox_jobs SET run_at = now()")
            let third = try #require(
                try queue.claim(db, instance: "c", limit: 5, leaseSeconds: 60, maxAttempts: 3).first)
            #expect(third.attempt == 3 && third.lastError == "HTTP 500" && third.isLastAttempt)
            #expect(try queue.complete(db, third))
            #expect(try queue.depth(db) == ["pending": 0, "running": 0, "failed": 0])
            let row = try #require(try db.query("SELECT status, locked_by, locked_until FROM outbox_jobs").first)
            #expect(try row.decode("status", as: String.self) == "done")
            #expect(try row.decode("locked_by", as: String?.self) == "c")
            #expect(try row.decode("locked_until", as: Date?.self) == nil)
        }
    }
}

/// Claimed ids collected from several threads.
private final class Claimed: Sendable {
    private let lock = Mutex<[Int64]>([])
    func add(_ ids: [Int64]) { lock.withLock { $0 += ids } }
    var ids: [Int64] { lock.withLock { $0 } }
}
