import Checkout
import Testing

/// Fixtures: one order state per reachable row of docs/API.md §4 (plus the "retry in progress" pending
/// state without a session), and every event/command the machine knows.
enum Fixture {
    static let total: Int64 = 5000

    static let states: [(name: String, state: OrderState)] = [
        (
            "pending",
            OrderState(
                currentSessionID: "cs_cur", sessionIDs: ["cs_old"], sessionAttempt: 2,
                retiredPaymentIntentIDs: ["pi_old"], amountTotal: total, currency: "usd")
        ),
        (
            "pendingNoSession",
            OrderState(
                sessionIDs: ["cs_old"], sessionAttempt: 2, retiredPaymentIntentIDs: ["pi_old"], amountTotal: total,
                currency: "usd")
        ),
        (
            "paid",
            OrderState(
                status: .paid, paymentStatus: .paid, fulfillmentStatus: .pending, currentSessionID: "cs_cur",
                sessionIDs: ["cs_old"], sessionAttempt: 2, paymentIntentID: "pi_cur",
                retiredPaymentIntentIDs: ["pi_old"], amountTotal: total,
                amountReceived: total)
        ),
        (
            "markedPaid",
            OrderState(
                status: .paid, paymentStatus: .paid, fulfillmentStatus: .pending, currentSessionID: "cs_cur",
                sessionIDs: ["cs_old"], sessionAttempt: 2, retiredPaymentIntentIDs: ["pi_old"], amountTotal: total,
                amountReceived: total)
        ),
        (
            "confirmed",
            OrderState(
                status: .confirmed, paymentStatus: .paid, fulfillmentStatus: .success, currentSessionID: "cs_cur",
                sessionIDs: ["cs_old"], sessionAttempt: 2, paymentIntentID: "pi_cur",
                retiredPaymentIntentIDs: ["pi_old"], amountTotal: total,
                amountReceived: total, fulfillmentReference: "ref-1")
        ),
        (
            "paidFulfillmentFailed",
            OrderState(
                status: .paid, paymentStatus: .paid, fulfillmentStatus: .failed, currentSessionID: "cs_cur",
                sessionIDs: ["cs_old"], sessionAttempt: 2, paymentIntentID: "pi_cur",
                retiredPaymentIntentIDs: ["pi_old"], amountTotal: total,
                amountReceived: total, needsAttention: true, attentionReason: "fulfillment failed: boom",
                fulfillmentError: "boom")
        ),
        (
            "paidFulfillmentFailedFlagged",
            OrderState(
                status: .paid, paymentStatus: .paid, fulfillmentStatus: .failed, currentSessionID: "cs_cur",
                sessionIDs: ["cs_old"], sessionAttempt: 2, paymentIntentID: "pi_cur",
                retiredPaymentIntentIDs: ["pi_old"], amountTotal: total,
                amountReceived: total, needsAttention: true,
                attentionReason:
                    "second payment pi_2 for an order already paid by pi_cur: refund one; fulfillment failed: boom",
                fulfillmentError: "boom")
        ),
        (
            "failed",
            OrderState(
                status: .failed, paymentStatus: .failed, currentSessionID: "cs_cur", sessionIDs: ["cs_old"],
                sessionAttempt: 2, paymentIntentID: "pi_cur", retiredPaymentIntentIDs: ["pi_old"], amountTotal: total,
                stockReserved: false, failureReason: "card declined")
        ),
        (
            "expired",
            OrderState(
                status: .expired, paymentStatus: .expired, currentSessionID: "cs_cur", sessionIDs: ["cs_old"],
                sessionAttempt: 2, retiredPaymentIntentIDs: ["pi_old"], amountTotal: total, stockReserved: false,
                failureReason: "checkout session expired")
        ),
        (
            "refunded",
            OrderState(
                status: .refunded, paymentStatus: .refunded, fulfillmentStatus: .success, currentSessionID: "cs_cur",
                sessionIDs: ["cs_old"], sessionAttempt: 2, paymentIntentID: "pi_cur",
                retiredPaymentIntentIDs: ["pi_old"], amountTotal: total,
                amountReceived: total, amountRefunded: total)
        ),
        (
            "refundedFulfillmentPending",
            OrderState(
                status: .refunded, paymentStatus: .refunded, fulfillmentStatus: .pending, currentSessionID: "cs_cur",
                sessionIDs: ["cs_old"], sessionAttempt: 2, paymentIntentID: "pi_cur",
                retiredPaymentIntentIDs: ["pi_old"], amountTotal: total, amountReceived: total, amountRefunded: total)
        ),
        (
            "refundedFulfillmentFailed",
            OrderState(
                status: .refunded, paymentStatus: .refunded, fulfillmentStatus: .failed, currentSessionID: "cs_cur",
                sessionIDs: ["cs_old"], sessionAttempt: 2, paymentIntentID: "pi_cur",
                retiredPaymentIntentIDs: ["pi_old"], amountTotal: total, amountReceived: total, amountRefunded: total,
                fulfillmentError: "boom")
        ),
        (
            "refundedBeforePaid",
            OrderState(
                status: .refunded, paymentStatus: .refunded, fulfillmentStatus: .notAttempted,
                currentSessionID: "cs_cur", sessionIDs: ["cs_old"], sessionAttempt: 2, paymentIntentID: "pi_cur",
                retiredPaymentIntentIDs: ["pi_old"], amountTotal: total, amountReceived: total, amountRefunded: total)
        ),
        (
            "cancelled",
            OrderState(
                status: .cancelled, paymentStatus: .cancelled, currentSessionID: "cs_cur", sessionIDs: ["cs_old"],
                sessionAttempt: 2, retiredPaymentIntentIDs: ["pi_old"], amountTotal: total, stockReserved: false,
                failureReason: "by admin")
        ),
    ]

    static let events: [(name: String, event: OrderEvent)] = [
        (
            "completedPaid",
            .sessionCompleted(
                sessionID: "cs_cur", paymentStatus: .paid, paymentIntentID: "pi_cur", amountTotal: total,
                currency: "usd")
        ),
        (
            "completedUnpaid",
            .sessionCompleted(
                sessionID: "cs_cur", paymentStatus: .unpaid, paymentIntentID: "pi_cur", amountTotal: total,
                currency: "usd")
        ),
        (
            "completedNoPayment",
            .sessionCompleted(
                sessionID: "cs_cur", paymentStatus: .noPaymentRequired, paymentIntentID: nil, amountTotal: 0,
                currency: "usd")
        ),
        (
            "completedPaidOld",
            .sessionCompleted(
                sessionID: "cs_old", paymentStatus: .paid, paymentIntentID: "pi_old", amountTotal: total,
                currency: "usd")
        ),
        (
            "completedForeign",
            .sessionCompleted(
                sessionID: "cs_foreign", paymentStatus: .paid, paymentIntentID: "pi_x", amountTotal: total,
                currency: "usd")
        ),
        (
            "asyncSucceeded",
            .asyncPaymentSucceeded(sessionID: "cs_cur", paymentIntentID: "pi_cur", amountTotal: total, currency: "usd")
        ),
        ("asyncFailed", .asyncPaymentFailed(sessionID: "cs_cur", paymentIntentID: "pi_cur", reason: "bank said no")),
        ("asyncFailedOld", .asyncPaymentFailed(sessionID: "cs_old", paymentIntentID: "pi_old", reason: "old")),
        ("expired", .sessionExpired(sessionID: "cs_cur")),
        ("expiredOld", .sessionExpired(sessionID: "cs_old")),
        ("paymentFailed", .paymentFailed(paymentIntentID: "pi_cur", reason: "card declined")),
        ("paymentFailedOther", .paymentFailed(paymentIntentID: "pi_other", reason: "card declined")),
        ("paymentFailedRetired", .paymentFailed(paymentIntentID: "pi_old", reason: "late decline")),
        (
            "refundPartial",
            .chargeRefunded(paymentIntentID: "pi_cur", amountRefunded: 2000, amount: total, currency: "usd")
        ),
        (
            "refundFull",
            .chargeRefunded(paymentIntentID: "pi_cur", amountRefunded: total, amount: total, currency: "usd")
        ),
        ("markPaid", .markPaid(note: "paid by bank transfer", actor: "admin", expiredSessionID: "cs_cur")),
        ("beginRetry", .beginRetry),
        ("sessionCreated", .sessionCreated(sessionID: "cs_new")),
        ("fulfillmentSucceeded", .fulfillmentSucceeded(reference: "ship-9")),
        ("fulfillmentFailed", .fulfillmentFailed(error: "supplier down")),
        ("retryFulfillment", .retryFulfillment),
        ("cancel", .cancel(reason: "customer asked")),
        ("reservationExpired", .reservationExpired),
        ("markPaidNoSession", .markPaid(note: "wire", actor: "admin", expiredSessionID: nil)),
        ("markPaidStale", .markPaid(note: "wire", actor: "admin", expiredSessionID: "cs_gone")),
        (
            "completedNoAmount",
            .sessionCompleted(
                sessionID: "cs_cur", paymentStatus: .paid, paymentIntentID: "pi_cur", amountTotal: nil, currency: nil)
        ),
        (
            "refundUnknown",
            .chargeRefunded(paymentIntentID: "pi_x", amountRefunded: 1000, amount: total, currency: "usd")
        ),
    ]

    static func state(_ name: String) -> OrderState { states.first { $0.name == name }!.state }
    static func event(_ name: String) -> OrderEvent { events.first { $0.name == name }!.event }

    /// Short names for result triples: "-" = no-op, "=" = transition keeping the triple.
    static let codes: [String: StatusTriple] = [
        "P": StatusTriple(.pendingPayment, .pending, .notAttempted),
        "Pd": StatusTriple(.paid, .paid, .pending),
        "C": StatusTriple(.confirmed, .paid, .success),
        "PF": StatusTriple(.paid, .paid, .failed),
        "F": StatusTriple(.failed, .failed, .notAttempted),
        "E": StatusTriple(.expired, .expired, .notAttempted),
        "X": StatusTriple(.cancelled, .cancelled, .notAttempted),
        "Rp": StatusTriple(.refunded, .refunded, .pending),
        "Rs": StatusTriple(.refunded, .refunded, .success),
        "Rf": StatusTriple(.refunded, .refunded, .failed),
        "Rn": StatusTriple(.refunded, .refunded, .notAttempted),
    ]

    /// The expected result of every (state, event) cell; columns in the order of `events`:
    /// completedPaid, completedUnpaid, completedNoPayment, completedPaidOld, completedForeign,
    /// asyncSucceeded, asyncFailed, asyncFailedOld, expired, expiredOld, paymentFailed,
    /// paymentFailedOther, paymentFailedRetired, refundPartial, refundFull, markPaid, beginRetry, sessionCreated,
    /// fulfillmentSucceeded, fulfillmentFailed, retryFulfillment, cancel, reservationExpired,
    /// markPaidNoSession, markPaidStale, completedNoAmount, refundUnknown.
    // swift-format-ignore
    static let expected: [String: [String]] = [
        "pending":               row("Pd =  PF Pd -  Pd F  -  E  -  F  F  -  Pd Rn Pd P  -  -  -  -  X  -  -  -  =  Pd"),
        "pendingNoSession":      row("-  -  -  Pd -  -  -  -  -  -  -  -  -  Pd Rn -  -  =  -  -  -  X  E  Pd -  -  Pd"),
        "paid":                  row("-  -  -  =  -  -  -  -  -  -  -  -  -  =  Rp -  -  -  C  PF -  -  -  -  -  -  ="),
        "confirmed":             row("-  -  -  =  -  -  -  -  -  -  -  -  -  =  Rs -  -  -  -  -  -  -  -  -  -  -  ="),
        "markedPaid":            row("=  -  -  =  -  =  -  -  -  -  -  -  -  =  =  -  -  -  C  PF -  -  -  -  -  =  ="),
        "paidFulfillmentFailed": row("-  -  -  =  -  -  -  -  -  -  -  -  -  =  Rf -  -  -  C  -  Pd -  -  -  -  -  ="),
        "paidFulfillmentFailedFlagged": row("-  -  -  =  -  -  -  -  -  -  -  -  -  =  Rf -  -  -  C  -  Pd -  -  -  -  -  ="),
        "failed":                row("Pd -  PF Pd -  Pd -  -  E  -  -  -  -  Pd Rn Pd P  -  -  -  -  X  -  -  -  =  Pd"),
        "expired":               row("Pd -  PF Pd -  Pd -  -  -  -  -  -  -  Pd Rn Pd P  -  -  -  -  X  -  -  -  =  Pd"),
        "refunded":              row("-  -  -  =  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  ="),
        "refundedFulfillmentPending": row("-  -  -  =  -  -  -  -  -  -  -  -  -  -  -  -  -  -  Rs Rf -  -  -  -  -  -  ="),
        "refundedFulfillmentFailed":  row("-  -  -  =  -  -  -  -  -  -  -  -  -  -  -  -  -  -  Rs -  -  -  -  -  -  -  ="),
        "refundedBeforePaid":    row("-  -  -  =  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  ="),
        "cancelled":             row("Pd -  PF Pd -  Pd -  -  -  -  -  -  -  Pd Rn Pd -  -  -  -  -  -  -  -  -  =  Pd"),
    ]

    static func row(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

    struct Cell: CustomTestStringConvertible, Sendable {
        var stateName: String
        var eventName: String
        var expected: String
        var testDescription: String { "\(stateName) + \(eventName) → \(expected)" }
    }

    static var cells: [Cell] {
        states.flatMap { state in
            events.enumerated().map { index, event in
                Cell(stateName: state.name, eventName: event.name, expected: expected[state.name]![index])
            }
        }
    }
}

/// Checks invariants that hold for every single transition.
func checkInvariants(from state: OrderState, _ event: OrderEvent, _ decision: OrderDecision) {
    guard case .transition(let next, let effects, let reason) = decision else { return }
    #expect(!reason.isEmpty)
    #expect(StatusTriple.reachable.contains(next.triple), "\(next.triple) is not in docs/API.md §4's table")
    if state.status.hasReceivedPayment {
        #expect(next.status.hasReceivedPayment, "a paid order was downgraded to \(next.status)")
    }
    #expect(next.amountRefunded >= state.amountRefunded, "refunds never decrease")
    if effects.contains(.releaseStock) {
        #expect(state.stockReserved && !next.stockReserved, "stock is released once, only when held")
    }
    if effects.contains(.reserveStock) || effects.contains(.reacquireStockOrFlag) {
        #expect(!state.stockReserved && next.stockReserved)
    }
    if !effects.contains(.releaseStock) && !effects.contains(.reserveStock)
        && !effects.contains(.reacquireStockOrFlag)
    {
        #expect(next.stockReserved == state.stockReserved, "stock flag changes only with a stock effect")
    }
    // A payment of another amount or currency is recorded but not fulfilled (fulfillment failed, flagged).
    let becamePaid = !state.status.hasReceivedPayment && next.status == .paid && next.fulfillmentStatus == .pending
    let fulfillmentRetried = state.fulfillmentStatus == .failed && next.fulfillmentStatus == .pending
    #expect(effects.contains(.enqueueFulfillment) == (becamePaid || fulfillmentRetried))
    if next.needsAttention && !state.needsAttention {
        // Alerted, or (a payment reported without its amount) checked at Stripe at once.
        #expect(effects.contains(.enqueueNotification(.needsAttention)) || effects.contains(.requestStripeCheck))
    }
    // The order's amounts are its ledger's sums; a refund never exceeds what its payment received.
    #expect(next.amountReceived == next.payments.reduce(0) { $0 + $1.amount })
    #expect(next.payments.allSatisfy { $0.amountRefunded <= $0.amount })
    #expect(next.payments.count >= state.payments.count, "a payment is never removed from the ledger")
}

@Suite("OrderStateMachine table (docs/API.md §4)")
struct OrderStateMachineTableTests {
    @Test("the table covers every state and every event")
    func tableIsComplete() {
        for (name, _) in Fixture.states {
            #expect(Fixture.expected[name]?.count == Fixture.events.count, "row \(name)")
        }
        let reached = Set(Fixture.states.map(\.state.triple))
        #expect(StatusTriple.reachable.isSubset(of: reached), "every reachable triple of §4 has a fixture")
    }

    @Test("every state × every event, applied once and twice", arguments: Fixture.cells)
    func cell(_ cell: Fixture.Cell) {
        let state = Fixture.state(cell.stateName)
        let event = Fixture.event(cell.eventName)
        let first = OrderStateMachine.apply(state, event)
        checkInvariants(from: state, event, first)
        switch cell.expected {
        case "-":
            #expect(first.newState == nil, "expected a no-op, got \(first)")
        case "=":
            #expect(first.newState?.triple == state.triple, "expected a transition keeping \(state.triple)")
            #expect(first.newState != state)
        default:
            #expect(first.newState?.triple == Fixture.codes[cell.expected], "got \(first)")
        }
        guard let next = first.newState else { return }
        let second = OrderStateMachine.apply(next, event)
        #expect(second.newState == nil, "applying \(cell.eventName) twice must be a no-op, got \(second)")
    }

    @Test("paid after the stock was released re-takes it (or flags the order)")
    func paidAfterExpiry() {
        let decision = OrderStateMachine.apply(Fixture.state("expired"), Fixture.event("completedPaid"))
        #expect(decision.effects == [.reacquireStockOrFlag, .enqueueFulfillment])
        #expect(decision.newState?.amountReceived == Fixture.total)
        #expect(decision.newState?.failureReason == nil)
    }

    @Test("expiry and failure release stock exactly once")
    func releaseOnce() {
        let pending = Fixture.state("pending")
        let failed = OrderStateMachine.apply(pending, Fixture.event("paymentFailed"))
        #expect(failed.effects == [.releaseStock])
        let thenExpired = OrderStateMachine.apply(failed.newState!, Fixture.event("expired"))
        #expect(thenExpired.newState?.status == .expired)
        #expect(thenExpired.effects == [])
    }

    @Test("retry re-reserves released stock, clears the session and counts the attempt")
    func retry() {
        let decision = OrderStateMachine.apply(Fixture.state("expired"), .beginRetry)
        #expect(decision.effects == [.reserveStock])
        let next = decision.newState!
        #expect(next.currentSessionID == nil && next.sessionAttempt == 2 && next.failureReason == nil)
        let created = OrderStateMachine.apply(next, .sessionCreated(sessionID: "cs_new")).newState!
        #expect(created.currentSessionID == "cs_new" && created.sessionIDs.contains("cs_cur"))
        // The superseded attempt's late decline and expiry leave the new attempt alone.
        #expect(next.retiredPaymentIntentIDs.isSuperset(of: ["pi_old"]))
        #expect(
            OrderStateMachine.apply(created, .paymentFailed(paymentIntentID: "pi_old", reason: nil)).newState == nil)
        let fromFailed = OrderStateMachine.apply(Fixture.state("failed"), .beginRetry).newState!
        #expect(fromFailed.retiredPaymentIntentIDs.contains("pi_cur") && fromFailed.paymentIntentID == nil)
        #expect(
            OrderStateMachine.apply(fromFailed, .paymentFailed(paymentIntentID: "pi_cur", reason: nil)).newState == nil)
        #expect(OrderStateMachine.apply(created, .sessionExpired(sessionID: "cs_cur")).newState == nil)
        // …but its late payment is still the customer's money.
        let paid = OrderStateMachine.apply(
            created,
            .sessionCompleted(
                sessionID: "cs_cur", paymentStatus: .paid, paymentIntentID: "pi_1", amountTotal: 5000, currency: "usd"))
        #expect(paid.newState?.status == .paid)
    }

    @Test("a payment after mark-paid, or while the order already needs attention, is flagged once per intent")
    func secondPaymentFlagged() {
        let marked = OrderStateMachine.apply(Fixture.state("markedPaid"), Fixture.event("completedPaid"))
        #expect(marked.effects == [.enqueueNotification(.needsAttention)])
        #expect(marked.newState?.needsAttention == true && marked.newState?.attentionReason?.contains("pi_cur") == true)
        let busy = OrderStateMachine.apply(Fixture.state("paidFulfillmentFailed"), Fixture.event("completedPaidOld"))
        let reason = busy.newState?.attentionReason ?? ""
        #expect(reason.contains("fulfillment failed: boom") && reason.contains("pi_old"), "\(reason)")
        #expect(
            busy.newState.map { OrderStateMachine.apply($0, Fixture.event("completedPaidOld")).newState } == .some(nil))
    }

    @Test("a payment of another amount or currency is recorded, flagged and not fulfilled")
    func moneyMismatch() {
        let short = OrderStateMachine.apply(
            Fixture.state("pending"),
            .sessionCompleted(
                sessionID: "cs_cur", paymentStatus: .paid, paymentIntentID: "pi_cur", amountTotal: 1, currency: "usd"))
        #expect(short.effects == [.commitStock, .enqueueNotification(.needsAttention)])
        #expect(short.newState?.amountReceived == 1 && short.newState?.fulfillmentStatus == .failed)
        #expect(short.newState?.needsAttention == true)
        let euros = OrderStateMachine.apply(
            Fixture.state("expired"),
            .asyncPaymentSucceeded(sessionID: "cs_cur", paymentIntentID: "pi_cur", amountTotal: 5000, currency: "eur"))
        #expect(euros.effects == [.reacquireStockOrFlag, .enqueueNotification(.needsAttention)])
        #expect(euros.newState?.attentionReason?.contains("eur") == true)
        // An operator who accepts it ships it with retry-fulfillment.
        let shipped = OrderStateMachine.apply(euros.newState!, .retryFulfillment)
        #expect(shipped.effects == [.enqueueFulfillment])
    }

    @Test("fulfillment failure flags the order and notifies; retry clears it")
    func fulfillmentAttention() {
        let failed = OrderStateMachine.apply(Fixture.state("paid"), .fulfillmentFailed(error: "x"))
        #expect(failed.effects == [.enqueueNotification(.needsAttention)])
        #expect(failed.newState?.needsAttention == true)
        let retried = OrderStateMachine.apply(failed.newState!, .retryFulfillment)
        #expect(retried.effects == [.enqueueFulfillment])
        #expect(retried.newState?.needsAttention == false)
    }
}

/// Attention bookkeeping of the fulfillment events: (state, event, needsAttention after, a reason part
/// that must remain, a part that must be gone, whether a needs-attention alert is enqueued).
struct AttentionCase: CustomTestStringConvertible, Sendable {
    var state: String
    var event: String
    var needsAttention: Bool
    var keeps: String?
    var drops: String?
    var alerts: Bool
    var testDescription: String { "\(state) + \(event) → attention \(needsAttention)" }
}

@Suite("OrderStateMachine: attention reasons")
struct OrderStateMachineAttentionTests {
    static let cases: [AttentionCase] = [
        .init(
            state: "paid", event: "fulfillmentFailed", needsAttention: true, keeps: "fulfillment failed: supplier down",
            drops: nil, alerts: true),
        .init(
            state: "paidFulfillmentFailed", event: "retryFulfillment", needsAttention: false, keeps: nil, drops: "boom",
            alerts: false),
        .init(
            state: "paidFulfillmentFailed", event: "fulfillmentSucceeded", needsAttention: false, keeps: nil,
            drops: "boom", alerts: false),
        // Another reason (a second payment) survives fulfillment's failure, retry and success.
        .init(
            state: "paidFulfillmentFailedFlagged", event: "retryFulfillment", needsAttention: true,
            keeps: "second payment pi_2", drops: "boom", alerts: false),
        .init(
            state: "paidFulfillmentFailedFlagged", event: "fulfillmentSucceeded", needsAttention: true,
            keeps: "second payment pi_2", drops: "boom", alerts: false),
        // Goods shipped although the money went back: flagged and alerted.
        .init(
            state: "refundedFulfillmentPending", event: "fulfillmentSucceeded", needsAttention: true,
            keeps: "fulfilled after a full refund", drops: nil, alerts: true),
        .init(
            state: "refundedFulfillmentFailed", event: "fulfillmentSucceeded", needsAttention: true,
            keeps: "fulfilled after a full refund", drops: nil, alerts: true),
    ]

    @Test("fulfillment events add or remove only their own attention reason", arguments: cases)
    func attention(_ c: AttentionCase) throws {
        let decision = OrderStateMachine.apply(Fixture.state(c.state), Fixture.event(c.event))
        let next = try #require(decision.newState)
        #expect(next.needsAttention == c.needsAttention)
        #expect(next.needsAttention == (next.attentionReason != nil), "\(next.attentionReason ?? "nil")")
        if let keeps = c.keeps {
            #expect(next.attentionReason?.contains(keeps) == true, "\(next.attentionReason ?? "nil")")
        }
        if let drops = c.drops {
            #expect(next.attentionReason?.contains(drops) != true, "\(next.attentionReason ?? "nil")")
        }
        #expect(decision.effects.contains(.enqueueNotification(.needsAttention)) == c.alerts)
    }

    @Test("a second payment's flag survives a fulfillment failure and the admin's successful retry")
    func secondPaymentSurvivesFulfillment() throws {
        let flagged = try #require(
            OrderStateMachine.apply(Fixture.state("paid"), Fixture.event("completedPaidOld")).newState)
        let failed = try #require(OrderStateMachine.apply(flagged, .fulfillmentFailed(error: "down")).newState)
        #expect(failed.attentionReason?.contains("pi_old") == true && failed.attentionReason?.contains("down") == true)
        let retried = try #require(OrderStateMachine.apply(failed, .retryFulfillment).newState)
        let shipped = try #require(OrderStateMachine.apply(retried, .fulfillmentSucceeded(reference: "r")).newState)
        #expect(shipped.needsAttention && shipped.attentionReason == flagged.attentionReason)
    }
}

@Suite("OrderStateMachine: common pairs in every order")
struct OrderStateMachinePairTests {
    struct Pair: CustomTestStringConvertible, Sendable {
        var start: String
        var first: String
        var second: String
        var status: OrderStatus
        var paymentStatus: PaymentStatus
        var amountRefunded: Int64
        var testDescription: String { "\(start): \(first) + \(second) → \(status.rawValue)" }
    }

    static let pairs: [Pair] = [
        Pair(
            start: "pending", first: "completedPaid", second: "expired", status: .paid, paymentStatus: .paid,
            amountRefunded: 0),
        Pair(
            start: "pending", first: "paymentFailed", second: "completedPaid", status: .paid, paymentStatus: .paid,
            amountRefunded: 0),
        Pair(
            start: "pending", first: "asyncFailed", second: "asyncSucceeded", status: .paid, paymentStatus: .paid,
            amountRefunded: 0),
        Pair(
            start: "pending", first: "completedPaid", second: "refundFull", status: .refunded, paymentStatus: .refunded,
            amountRefunded: 5000),
        Pair(
            start: "pending", first: "completedPaid", second: "refundPartial", status: .paid, paymentStatus: .paid,
            amountRefunded: 2000),
        Pair(
            start: "paid", first: "refundPartial", second: "refundFull", status: .refunded, paymentStatus: .refunded,
            amountRefunded: 5000),
        Pair(
            start: "pending", first: "completedUnpaid", second: "asyncSucceeded", status: .paid, paymentStatus: .paid,
            amountRefunded: 0),
        Pair(
            start: "pending", first: "expiredOld", second: "completedPaid", status: .paid, paymentStatus: .paid,
            amountRefunded: 0),
        Pair(
            start: "pending", first: "paymentFailed", second: "expired", status: .expired, paymentStatus: .expired,
            amountRefunded: 0),
    ]

    static func run(_ start: String, _ names: [String]) -> OrderState {
        var state = Fixture.state(start)
        for name in names {
            let event = Fixture.event(name)
            let decision = OrderStateMachine.apply(state, event)
            checkInvariants(from: state, event, decision)
            state = decision.newState ?? state
        }
        return state
    }

    @Test("both orders end in the same place", arguments: pairs)
    func bothOrders(_ pair: Pair) {
        for order in [[pair.first, pair.second], [pair.second, pair.first]] {
            let end = Self.run(pair.start, order)
            #expect(end.status == pair.status, "\(order)")
            #expect(end.paymentStatus == pair.paymentStatus, "\(order)")
            #expect(end.amountRefunded == pair.amountRefunded, "\(order)")
            // Delivered twice each, interleaved: still the same end.
            let twice = Self.run(pair.start, order + order)
            #expect(twice.triple == end.triple && twice.amountRefunded == end.amountRefunded)
        }
    }

    @Test("a completed unpaid session keeps the order pending and records the payment intent")
    func unpaidStaysPending() {
        let end = Self.run("pending", ["completedUnpaid"])
        #expect(end.status == .pendingPayment && end.paymentIntentID == "pi_cur")
        #expect(Self.run("pending", ["completedUnpaid", "asyncFailed"]).status == .failed)
    }
}
