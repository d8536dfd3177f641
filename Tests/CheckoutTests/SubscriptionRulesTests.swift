import Foundation
import Testing

@testable import Checkout

@Suite("Recurring prices: Stripe's validation")
struct RecurringPriceTests {
    static func parse(_ json: String) throws(CheckoutError) -> Product {
        try Product.parse(
            id: "p", body: Array(#"{"title":"T","unitAmount":1500,"currency":"usd","recurring":\#(json)}"#.utf8))
    }

    @Test(
        "accepted: every interval up to one year",
        arguments: [
            (#"{"interval":"day","intervalCount":365}"#, RecurringPrice(interval: .day, intervalCount: 365)),
            (#"{"interval":"week","intervalCount":52}"#, RecurringPrice(interval: .week, intervalCount: 52)),
            (#"{"interval":"month","intervalCount":12}"#, RecurringPrice(interval: .month, intervalCount: 12)),
            (#"{"interval":"year"}"#, RecurringPrice(interval: .year, intervalCount: 1)),
            (#"{"interval":"week","intervalCount":2}"#, RecurringPrice(interval: .week, intervalCount: 2)),
        ])
    func accepted(json: String, expected: RecurringPrice) throws {
        #expect(try Self.parse(json).recurring == expected)
    }

    @Test(
        "refused, naming the field",
        arguments: [
            (#"{"interval":"day","intervalCount":366}"#, "recurring.intervalCount"),
            (#"{"interval":"week","intervalCount":53}"#, "recurring.intervalCount"),
            (#"{"interval":"month","intervalCount":13}"#, "recurring.intervalCount"),
            (#"{"interval":"year","intervalCount":2}"#, "recurring.intervalCount"),
            (#"{"interval":"month","intervalCount":0}"#, "recurring.intervalCount"),
            (#"{"interval":"month","intervalCount":"1"}"#, "recurring.intervalCount"),
            (#"{"interval":"fortnight"}"#, "recurring.interval"),
            (#"{"intervalCount":1}"#, "recurring.interval"),
            (#"{"interval":"month","trial":3}"#, "recurring.trial"),
            (#""month""#, "recurring"),
        ])
    func refused(json: String, field: String) {
        do {
            _ = try Self.parse(json)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.field == field, "\(json): \(error)")
        }
    }

    @Test("null or absent is a one-time price, and the JSON shows it")
    func oneTime() throws {
        #expect(try Self.parse("null").recurring == nil)
        let product = try Self.parse(#"{"interval":"month"}"#)
        let json = String(decoding: try JSONEncoder().encode(product), as: UTF8.self)
        #expect(json.contains(#""recurring":{"#) && json.contains(#""intervalCount":1"#))
    }
}

@Suite("SubscriptionRules: order-independent and exactly-once")
struct SubscriptionRulesTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func snapshot(_ status: String, at seconds: Double, periodEnd: Double = 30, cancel: Bool = false)
        -> SubscriptionSnapshot
    {
        SubscriptionSnapshot(
            id: "sub_1", status: status, customerID: "cus_1", currentPeriodStart: t0,
            currentPeriodEnd: t0.addingTimeInterval(periodEnd * 86_400), cancelAtPeriodEnd: cancel,
            canceledAt: status == "canceled" ? t0.addingTimeInterval(seconds) : nil, at: t0.addingTimeInterval(seconds))
    }

    static func fold(_ snapshots: [SubscriptionSnapshot]) -> SubscriptionRecord {
        snapshots.reduce(SubscriptionRecord.empty(id: "sub_1", now: t0)) { row, s in
            SubscriptionRules.apply(s, to: row) ?? row
        }
    }

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard let first = items.first else { return [[]] }
        return permutations(Array(items.dropFirst())).flatMap { rest in
            (0...rest.count).map { i in
                var p = rest
                p.insert(first, at: i)
                return p
            }
        }
    }

    static let histories: [[SubscriptionSnapshot]] = [
        [
            snapshot("active", at: 0), snapshot("past_due", at: 10, periodEnd: 60),
            snapshot("active", at: 20, periodEnd: 60),
        ],
        [snapshot("active", at: 0), snapshot("active", at: 5, cancel: true), snapshot("canceled", at: 30)],
        // Same second: the further-along snapshot wins whatever the arrival order.
        [snapshot("active", at: 0), snapshot("active", at: 0, periodEnd: 60), snapshot("active", at: 0, cancel: true)],
        [snapshot("canceled", at: 3), snapshot("active", at: 9, periodEnd: 90)],
    ]

    @Test(
        "every arrival order of a history ends in the same row; each snapshot twice changes nothing more",
        arguments: 0..<4)
    func orderIndependent(history: Int) {
        let snapshots = Self.histories[history]
        let expected = Self.fold(snapshots)
        for order in Self.permutations(snapshots) {
            #expect(Self.fold(order) == expected)
            #expect(Self.fold(order + order) == expected)
        }
    }

    @Test("canceled is final: a later active snapshot never revives it")
    func canceledIsFinal() {
        let row = Self.fold(Self.histories[3])
        #expect(row.stripeStatus == "canceled")
    }

    static func invoice(_ status: SubscriptionInvoiceRecord.Status, at seconds: Double, failures: Int = 1)
        -> SubscriptionInvoiceRecord
    {
        SubscriptionInvoiceRecord(
            id: "in_1", subscriptionID: "sub_1", status: status, billingReason: "subscription_cycle", amount: 1500,
            currency: "usd", invoiceCreated: t0, failureCount: failures, eventAt: t0.addingTimeInterval(seconds))
    }

    @Test("the shown status and flag follow the newest invoice reported at or after the snapshot")
    func effectiveStatus() {
        let active = Self.fold([Self.snapshot("active", at: 10)])
        let failed = SubscriptionRules.derive(active, newestInvoice: Self.invoice(.failed, at: 12))
        #expect(failed.status == "past_due" && failed.needsAttention)
        let stale = SubscriptionRules.derive(active, newestInvoice: Self.invoice(.failed, at: 5))
        #expect(
            stale.status == "active" && stale.needsAttention, "flagged by the invoice, status from the newer snapshot")
        let pastDue = Self.fold([Self.snapshot("past_due", at: 10)])
        let recovered = SubscriptionRules.derive(pastDue, newestInvoice: Self.invoice(.paid, at: 11))
        #expect(recovered.status == "active" && !recovered.needsAttention)
        let canceled = Self.fold([Self.snapshot("canceled", at: 10)])
        let quiet = SubscriptionRules.derive(canceled, newestInvoice: Self.invoice(.failed, at: 20))
        #expect(quiet.status == "canceled" && !quiet.needsAttention)
    }
}
