import Foundation
import Logging
import Postgres
import Stripe

/// Turns a Stripe webhook delivery into at most one committed state change (docs/API.md §5).
///
/// 1. Verifies `Stripe-Signature` over the raw bytes before anything is parsed or stored.
/// 2. Decodes the event.
/// 3. In ONE transaction: records the event (`stripe_events`, unique on the event id), finds its
///    order (`metadata.order_id`, else the session id, else the PaymentIntent id), locks it, asks
///    the state machine, and persists the new state, history, stock changes, outbox jobs and the
///    event's result. A crash leaves both or neither.
///
/// Applies at most once per event id: N concurrent deliveries of one event serialise on the unique
/// index, and all but the first see a duplicate. Blocking; call it from a worker thread.
public final class WebhookProcessor: Sendable {
    let pool: ConnectionPool
    let verifier: WebhookVerifier
    let logger: Logger
    let orders = OrderStore()
    let events = StripeEventStore()
    let transitions: OrderTransitions
    let livemode: Bool

    /// - Parameters:
    ///   - verifier: holds the `STRIPE_WEBHOOK_SECRET`s (rotation) and the tolerance.
    ///   - livemode: the mode this server runs in (``expectedLivemode(secretKey:)``); events of the
    ///     other mode are stored as ignored. Default: test mode.
    ///   - outbound: which outbound jobs (order webhooks) the transitions it applies write.
    public init(
        pool: ConnectionPool, verifier: WebhookVerifier, logger: Logger, livemode: Bool = false,
        outbound: OutboundSettings = OutboundSettings()
    ) {
        self.pool = pool
        self.verifier = verifier
        self.logger = logger
        self.livemode = livemode
        self.transitions = OrderTransitions(outbound: outbound)
    }

    /// The mode a Stripe secret key belongs to: `sk_live_…` / `rk_live_…` are live, anything else test.
    public static func expectedLivemode(secretKey: String) -> Bool {
        secretKey.hasPrefix("sk_live_") || secretKey.hasPrefix("rk_live_")
    }

    /// Processes one delivery. Throws ``CheckoutError/database(detail:)`` or
    /// ``CheckoutError/internalFailure(detail:)`` when nothing was committed (answer 5xx so Stripe
    /// delivers again).
    public func process(payload: [UInt8], signatureHeader: String?) throws(CheckoutError) -> WebhookOutcome {
        do {
            try verifier.verify(payload: payload, header: signatureHeader)
        } catch {
            logger.warning("webhook signature rejected", metadata: ["reason": "\(error)"])
            return .signatureInvalid("\(error)")
        }
        let event: StripeEvent
        do {
            event = try JSONDecoder().decode(StripeEvent.self, from: Data(payload))
        } catch {
            guard let envelope = LenientEnvelope(payload) else {
                logger.warning("signed webhook body is not a Stripe event", metadata: ["bytes": "\(payload.count)"])
                return .invalidPayload("body is not a Stripe event")
            }
            logger.error(
                "signed webhook event does not decode; stored unapplied", metadata: ["event_id": "\(envelope.id)"])
            return try storeUnprocessable(
                envelope, payload: payload, reason: "the event does not decode as a Stripe event (\(type(of: error)))")
        }
        let mapping = StripeEventMapping(event)
        let outcome: WebhookOutcome
        do {
            outcome = try pool.transaction { db in try self.apply(db, event: event, mapping: mapping, payload: payload)
            }
        } catch  where Self.isPermanentDataError(error) {
            guard let envelope = LenientEnvelope(payload) else { throw CheckoutError.wrapping(error) }
            logger.error(
                "signed webhook event cannot be stored as received; stored unapplied",
                metadata: ["event_id": "\(event.id)", "type": "\(event.type)"])
            let reason = (error as? PostgresError)?.description ?? "invalid data"
            return try storeUnprocessable(
                envelope, payload: payload, reason: "Postgres cannot store it as received (\(reason))")
        } catch {
            let wrapped = CheckoutError.wrapping(error)
            logger.error(
                "webhook not committed",
                metadata: ["event_id": "\(event.id)", "type": "\(event.type)", "error": "\(wrapped.description)"])
            throw wrapped
        }
        logger.info(
            "webhook processed",
            metadata: [
                "event_id": "\(event.id)", "type": "\(event.type)", "result": "\(outcome.result ?? "duplicate")",
            ])
        return outcome
    }

    private func apply(_ db: Connection, event: StripeEvent, mapping: StripeEventMapping, payload: [UInt8]) throws
        -> WebhookOutcome
    {
        let inserted = try events.insertIfNew(
            db, id: event.id, type: event.type, livemode: event.livemode, apiVersion: event.apiVersion,
            created: event.created, payload: Self.storableJSON(payload))
        guard inserted else { return .duplicate(eventID: event.id) }

        guard event.livemode == livemode else {
            let reason =
                "a \(event.livemode ? "live" : "test") mode event; this server runs in \(livemode ? "live" : "test") mode"
            logger.error("webhook of the wrong mode ignored", metadata: ["event_id": "\(event.id)"])
            try events.recordResult(db, id: event.id, orderID: nil, result: "ignored", detail: reason)
            return .ignored(eventID: event.id, reason: reason)
        }

        if let outcome = try applySubscriptionEvent(db, event: event) { return outcome }
        guard var orderEvent = mapping.event else {
            let reason = "event type \(event.type) is not handled"
            try events.recordResult(db, id: event.id, orderID: nil, result: "ignored", detail: reason)
            return .ignored(eventID: event.id, reason: reason)
        }
        guard var order = try findAndLockOrder(db, mapping) else {
            let reason = "no order matches this event"
            try events.recordResult(db, id: event.id, orderID: nil, result: "ignored", detail: reason)
            return .ignored(eventID: event.id, reason: reason)
        }
        let orderID = order.id
        if let sessionID = mapping.sessionID {
            // metadata.order_id is only a hint: the stored owner of a known session wins, and a session
            // we never stored must name the order's number as its client_reference_id.
            let owner = try orders.orderID(db, sessionID: sessionID)
            var refusal: String?
            if let owner, owner != orderID {
                refusal = "session \(sessionID) belongs to order \(owner.lowercased), not \(orderID.lowercased)"
            } else if owner == nil, mapping.clientReferenceID != order.orderNumber {
                refusal = "session \(sessionID) is unknown and its client_reference_id is not \(order.orderNumber)"
            }
            if let refusal {
                logger.critical(
                    "webhook names an order its session does not belong to; ignored",
                    metadata: ["event_id": "\(event.id)", "detail": "\(refusal)"])
                try events.recordResult(db, id: event.id, orderID: nil, result: "ignored", detail: refusal)
                return .ignored(eventID: event.id, reason: refusal)
            }
            try orders.updateSession(
                db, id: sessionID, status: mapping.sessionStatus, paymentStatus: mapping.sessionPaymentStatus,
                paymentIntentID: mapping.paymentIntentID)
            if mapping.orderIDHint == orderID {
                if case .sessionExpired = orderEvent, !order.state.sessionIDs.contains(sessionID),
                    order.state.status == .pendingPayment, order.state.currentSessionID == nil
                {
                    // Stripe created this session for the order but storing it failed, so the order
                    // never got a current session: its expiry ends the reservation. (A superseded
                    // session is always stored, so a retry in progress is left alone.)
                    orderEvent = .reservationExpired
                }
                order.state.sessionIDs.insert(sessionID)  // ours by its metadata, even if never stored
            }
        }
        let decision = try transitions.apply(
            db, order: order, event: orderEvent, actor: "stripe:\(event.id)", stripeEventID: event.id)
        try linkSubscription(db, event: event, orderID: orderID)
        switch decision {
        case .transition(_, _, let reason):
            try events.recordResult(db, id: event.id, orderID: orderID, result: "applied", detail: reason)
            return .applied(eventID: event.id, orderID: orderID, reason: reason)
        case .noOp(let reason):
            try events.recordResult(db, id: event.id, orderID: orderID, result: "no_op", detail: reason)
            return .noOp(eventID: event.id, orderID: orderID, reason: reason)
        }
    }

    /// Finds the event's order by `metadata.order_id`, else the session id, else the PaymentIntent
    /// id, and locks it (`FOR UPDATE`) for the rest of the transaction.
    private func findAndLockOrder(_ db: Connection, _ mapping: StripeEventMapping) throws -> OrderRecord? {
        if let hint = mapping.orderIDHint, let order = try orders.order(db, id: hint, forUpdate: true) {
            return order
        }
        var orderID: UUID?
        if let sessionID = mapping.sessionID { orderID = try orders.orderID(db, sessionID: sessionID) }
        if orderID == nil, let paymentIntentID = mapping.paymentIntentID {
            orderID = try orders.orderID(db, paymentIntentID: paymentIntentID)
        }
        guard let orderID else { return nil }
        return try orders.order(db, id: orderID, forUpdate: true)
    }

    /// The body as text Postgres' jsonb accepts: jsonb cannot hold `\u0000`, which JSON allows, so
    /// the stored audit copy spells it U+FFFD (the signature was checked on the original bytes). Matched
    /// on bytes (``ByteText``): Foundation's `contains` over a 2.6 KB event was a quarter of a webhook's cost.
    static func storableJSON(_ payload: [UInt8]) -> String {
        ByteText.replacing("\\u0000", with: "\\ufffd", in: String(decoding: payload, as: UTF8.self))
    }
}
