// libFuzzer entry for webhook body decoding: the bytes a verified webhook delivers go through
// `JSONDecoder().decode(StripeEvent.self, …)` (exactly as WebhookProcessor does) and then the domain's
// pure mapping `StripeEventMapping` → `OrderEvent`, which is applied to a few order states by the pure
// `OrderStateMachine`. Built by fuzz/stripe/run.sh against the Stripe module and the pure Checkout files.
//
// Oracles beyond "does not crash or trip ASan":
// - a decoded event re-encodes (Stripe's keys) to a fixed point, and the re-encoded event maps to the
//   same domain event (the simulator's events mean what Stripe's do);
// - the mapping is consistent with the type: checkout.session.* carries the session id, a handled type
//   with the right object yields an OrderEvent, an unhandled type never does;
// - the state machine never downgrades an order that received money, and a transition that says it
//   changed something really differs from the state it started from.
import Checkout
import Foundation
import Stripe

let fuzzStates: [OrderState] = {
    let pending = OrderState(
        status: .pendingPayment, paymentStatus: .pending, fulfillmentStatus: .notAttempted,
        currentSessionID: "cs_test_fuzz", sessionIDs: ["cs_test_fuzz"], sessionAttempt: 1, paymentIntentID: nil,
        retiredPaymentIntentIDs: [], amountTotal: 1500, stockReserved: true,
        needsAttention: false, attentionReason: nil, failureReason: nil, fulfillmentError: nil,
        fulfillmentReference: nil)
    var paid = pending
    paid.status = .paid
    paid.paymentStatus = .paid
    paid.fulfillmentStatus = .pending
    paid.paymentIntentID = "pi_test_fuzz"
    paid.payments = [
        Payment(
            kind: .stripe, paymentIntentID: "pi_test_fuzz", sessionID: "cs_test_fuzz", amount: 1500, currency: "usd")
    ]
    var confirmed = paid
    confirmed.status = .confirmed
    confirmed.fulfillmentStatus = .success
    var failed = pending
    failed.status = .failed
    failed.paymentStatus = .failed
    failed.stockReserved = false
    return [pending, paid, confirmed, failed]
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStripeEvent(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard let event = try? JSONDecoder().decode(StripeEvent.self, from: bytes) else { return 0 }

    // Re-encoding (what the simulator sends) is a fixed point after one round, and the domain reads
    // the re-encoded event exactly as the original. (Not `decode(encode(e)) == e`: encoding fills
    // Stripe's always-present fields, e.g. a missing `amount_received` is sent as 0, by design.)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    guard let once = try? encoder.encode(event) else { fatalError("a decoded event does not encode") }
    guard let again = try? JSONDecoder().decode(StripeEvent.self, from: once) else {
        fatalError("a re-encoded event does not decode: \(String(decoding: once, as: UTF8.self))")
    }
    guard let twice = try? encoder.encode(again), twice == once else {
        fatalError("encode(decode(encode(e))) != encode(e) for \(String(decoding: once, as: UTF8.self))")
    }
    precondition(StripeEventMapping(again) == StripeEventMapping(event), "the re-encoded event maps differently")

    let mapping = StripeEventMapping(event)
    if event.type.hasPrefix("checkout.session."), case .checkoutSession(let session) = event.object {
        precondition(mapping.sessionID == session.id, "a session event lost its session id")
    }
    if !StripeEventMapping.handledTypes.contains(event.type) {
        precondition(
            mapping.event == nil, "unhandled type \(event.type) mapped to \(String(describing: mapping.event))")
    }
    guard let orderEvent = mapping.event else { return 0 }
    for state in fuzzStates {
        switch OrderStateMachine.apply(state, orderEvent) {
        case .noOp:
            break
        case .transition(let next, _, _):
            precondition(next != state, "a transition that changes nothing: \(orderEvent)")
            if state.status.hasReceivedPayment {
                precondition(
                    next.status.hasReceivedPayment, "\(state.status) downgraded to \(next.status) by \(orderEvent)")
            }
        }
    }
    return 0
}
