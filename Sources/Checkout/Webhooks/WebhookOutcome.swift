import Foundation

/// What `POST /api/payments/webhook` did with one delivery (docs/API.md §5). Everything except
/// ``signatureInvalid(_:)`` and ``invalidPayload(_:)`` is answered 200 `{"received": true}`.
public enum WebhookOutcome: Sendable, Equatable {
    /// The signature did not verify (missing, malformed, no v1, no match, too old). Nothing was
    /// stored. → 400 `signature_invalid`
    case signatureInvalid(String)
    /// Signed, but not a Stripe event we can read. Nothing was stored. → 400 `invalid_json`
    case invalidPayload(String)
    /// The event id was already recorded: nothing done again. → 200 `"duplicate": true`
    case duplicate(eventID: String)
    /// The event changed the order (state, history, stock, outbox), all committed.
    case applied(eventID: String, orderID: UUID, reason: String)
    /// The event concerned an order but changed nothing (late, repeated or superseded).
    case noOp(eventID: String, orderID: UUID, reason: String)
    /// An event type we do not handle, or one that matches no order; stored as ignored.
    case ignored(eventID: String, reason: String)
    /// A subscription or invoice event: `result` is `applied` or `no_op`; `orderID` is the order it
    /// concerned (the renewal order of a paid renewal invoice, else the subscription's checkout order).
    case subscriptionEvent(eventID: String, subscriptionID: String, orderID: UUID?, result: String, reason: String)

    /// The `stripe_events.result` this outcome was stored with, or nil when nothing was stored now.
    public var result: String? {
        switch self {
        case .applied: return "applied"
        case .noOp: return "no_op"
        case .ignored: return "ignored"
        case .subscriptionEvent(_, _, _, let result, _): return result
        case .signatureInvalid, .invalidPayload, .duplicate: return nil
        }
    }
}
