import Foundation
import Testing

@testable import Checkout

/// The amount rule (docs/invariants.md P8) as one pure function, over a table: which payments are what
/// the order costs, with and without Checkout-computed adjustments, and that the state machine holds
/// fulfillment exactly when the rule finds a difference.
@Suite("Amount rule: items' sum or what the session says it charged")
struct AmountRuleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var allowed: CheckoutAdjustments
        var amount: Int64
        var currency = "usd"
        var kind: Payment.Kind = .stripe
        var totals: SessionTotals?
        /// Substrings of the problems expected; empty: the payment is accepted.
        var problems: [String]

        var testDescription: String { name }
    }

    /// An order of 10,000 (usd) in items.
    static let items: Int64 = 10_000

    static func totals(_ subtotal: Int64 = items, discount: Int64 = 0, tax: Int64 = 0, shipping: Int64 = 0)
        -> SessionTotals
    {
        SessionTotals(amountSubtotal: subtotal, amountDiscount: discount, amountTax: tax, amountShipping: shipping)
    }

    static let all: CheckoutAdjustments = [.promotionCodes, .automaticTax, .shipping]

    static let cases: [Case] = [
        Case(name: "no adjustments: the items' sum", allowed: [], amount: items, totals: totals(), problems: []),
        Case(
            name: "no adjustments: a discounted session is a mismatch", allowed: [], amount: 9000,
            totals: totals(discount: 1000), problems: ["received 9000, order total 10000"]),
        Case(
            name: "no adjustments, no breakdown: the items' sum still", allowed: [], amount: items, totals: nil,
            problems: []),
        Case(
            name: "discount, tax, shipping all allowed and consistent", allowed: all, amount: 10_220,
            totals: totals(discount: 1000, tax: 720, shipping: 500), problems: []),
        Case(
            name: "tax only", allowed: [.automaticTax], amount: 10_825, totals: totals(tax: 825), problems: []),
        Case(
            name: "tax where only promotion codes are allowed", allowed: [.promotionCodes], amount: 10_825,
            totals: totals(tax: 825), problems: ["tax 825, which the order does not allow"]),
        Case(
            name: "shipping where not allowed", allowed: [.automaticTax], amount: 10_500,
            totals: totals(shipping: 500), problems: ["shipping 500"]),
        Case(
            name: "a discount where not allowed", allowed: [.shipping], amount: 9_000,
            totals: totals(discount: 1000), problems: ["discount 1000"]),
        Case(
            name: "breakdown does not explain the amount", allowed: all, amount: 10_000,
            totals: totals(discount: 1000, tax: 500), problems: ["received 10000, session breakdown"]),
        Case(
            name: "subtotal is not the items' sum", allowed: all, amount: 12_000, totals: totals(12_000),
            problems: ["session subtotal 12000, order items 10000"]),
        Case(
            name: "negative part", allowed: all, amount: 10_500, totals: totals(tax: -500, shipping: 1000),
            problems: ["tax -500 is negative"]),
        Case(
            name: "adjustments allowed, no breakdown (recorded from a charge): the items' sum", allowed: all,
            amount: 10_825, totals: nil, problems: ["received 10825, order total 10000"]),
        Case(
            name: "manual payment: the items' sum whatever the breakdown", allowed: all, amount: items, kind: .manual,
            totals: totals(tax: 825), problems: []),
        Case(
            name: "currency always the order's", allowed: all, amount: 10_825, currency: "eur",
            totals: totals(tax: 825),
            problems: ["currency eur, order currency usd"]),
        Case(
            name: "100% discount, nothing charged", allowed: [.promotionCodes], amount: 0,
            totals: totals(discount: 10_000), problems: []),
        Case(
            name: "overflowing breakdown", allowed: all, amount: 1, totals: totals(tax: .max, shipping: .max),
            problems: ["an overflow"]),
    ]

    static func state(_ c: Case) -> OrderState {
        var state = OrderState(currentSessionID: "cs_1", amountTotal: items)
        state.checkout.adjustments = c.allowed
        return state
    }

    @Test(arguments: cases)
    func rule(_ c: Case) {
        let payment = Payment(
            kind: c.kind, paymentIntentID: c.kind == .stripe ? "pi_1" : nil,
            sessionID: c.kind == .stripe ? "cs_1" : nil,
            amount: c.amount, currency: c.currency)
        let problems = OrderStateMachine.amountMismatch(Self.state(c), payment, totals: c.totals)
        #expect(problems.isEmpty == c.problems.isEmpty, "\(problems)")
        for expected in c.problems {
            #expect(problems.contains { $0.contains(expected) }, "\(expected) in \(problems)")
        }
    }

    /// The state machine uses the same rule: a completion is fulfilled exactly when the rule accepts it,
    /// and the paying session's breakdown is recorded either way.
    @Test(arguments: cases.filter { $0.kind == .stripe && $0.currency == "usd" })
    func machineFollowsRule(_ c: Case) throws {
        let decision = OrderStateMachine.apply(
            Self.state(c),
            .sessionCompleted(
                sessionID: "cs_1", paymentStatus: c.amount == 0 ? .noPaymentRequired : .paid,
                paymentIntentID: c.amount == 0 ? nil : "pi_1", amountTotal: c.amount, currency: "usd",
                totals: c.totals))
        let next = try #require(decision.newState)
        #expect(next.status == .paid)
        #expect(next.checkout.totals == c.totals)
        if c.problems.isEmpty {
            #expect(decision.effects.contains(.enqueueFulfillment))
            #expect(next.fulfillmentStatus == .pending && !next.needsAttention)
        } else {
            #expect(!decision.effects.contains(.enqueueFulfillment))
            #expect(next.fulfillmentStatus == .failed && next.needsAttention)
            #expect(next.attentionReason?.hasPrefix(OrderStateMachine.mismatchPrefix) == true)
        }
    }

    @Test("an expiry with a recovery link records it; an expiry of another session does not")
    func recoveryRecorded() throws {
        let recovery = SessionRecovery(
            url: "https://checkout.example/r/1", expiresAt: 1_900_000_000, promotionsConsent: "opt_in")
        let state = OrderState(currentSessionID: "cs_1", sessionIDs: ["cs_0"], amountTotal: Self.items)
        let expired = try #require(
            OrderStateMachine.apply(state, .sessionExpired(sessionID: "cs_1", recovery: recovery)).newState)
        #expect(expired.status == .expired && expired.checkout.recovery == recovery && recovery.mayEmail)
        #expect(OrderStateMachine.apply(state, .sessionExpired(sessionID: "cs_0", recovery: recovery)).newState == nil)
        #expect(!SessionRecovery(url: "u", promotionsConsent: "opt_out").mayEmail)
        #expect(!SessionRecovery(url: "u").mayEmail)
        var record = OrderRecord(
            id: UUID(), orderNumber: "DO-1", state: expired, currency: "usd", customerEmail: nil, customerID: nil,
            metadata: [:], sessionCheckedAt: nil, createdAt: Date(), updatedAt: Date())
        #expect(record.recoveryLinkToEmail(now: 1_800_000_000) == recovery.url)
        #expect(record.recoveryLinkToEmail(now: 1_900_000_000) == nil, "the link expired")
        record.state.checkout.recovery?.promotionsConsent = "opt_out"
        #expect(record.recoveryLinkToEmail(now: 1_800_000_000) == nil, "no consent, no link in the e-mail")
    }

    @Test("settings narrowed to what an order allows; shipping needs countries and rates")
    func settings() {
        let on = CheckoutTotalsSettings(
            allowPromotionCodes: true, automaticTax: true, shippingCountries: ["US"],
            shippingRates: [.init(name: "Standard", amount: 500)], recovery: true)
        #expect(on.adjustments == Self.all)
        let narrowed = on.restricted(to: [.automaticTax])
        #expect(!narrowed.allowPromotionCodes && narrowed.automaticTax && narrowed.shippingRates.isEmpty)
        #expect(narrowed.recovery, "recovery is not an adjustment")
        #expect(CheckoutTotalsSettings(shippingCountries: ["US"]).adjustments.isEmpty)
        #expect(CheckoutAdjustments(names: Self.all.names) == Self.all)
    }

    @Test(arguments: [
        ("Standard:500,Express:1500", true), ("Standard:500", true), (" A : 0 ", true), ("Standard", false),
        ("Standard:-1", false), ("Standard:5.00", false), (":500", false), ("a:1,b:1,c:1,d:1,e:1,f:1", false),
        ("a:b:1", false),
    ])
    func shippingRatesParse(_ text: String, _ ok: Bool) {
        if case .success = CheckoutTotalsSettings.parseShippingRates(text) {
            #expect(ok, "\(text) should be refused")
        } else {
            #expect(!ok, "\(text) should parse")
        }
    }
}
