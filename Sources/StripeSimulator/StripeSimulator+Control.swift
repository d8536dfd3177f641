import Dispatch
import Foundation
import Stripe

/// What a control action did: the session afterwards and the events it generated, in order.
public struct SimulatorActionResult: Codable, Sendable {
    public var session: CheckoutSession
    public var events: [String]
}

/// An event and its delivery status, as `GET /_sim/events` lists it.
public struct SimulatorEventSummary: Codable, Sendable {
    public var id: String
    public var type: String
    public var created: Int64
    /// The `data.object` id (`cs_…`, `pi_…`, `ch_…`).
    public var objectId: String?
    /// `not_configured` (no webhook URL), `held`, `pending` (queued, in flight or awaiting a retry),
    /// `delivered` (every delivery answered 2xx), `failed` (a delivery exhausted its attempts).
    public var deliveryStatus: String
    public var succeededDeliveries: Int
    public var failedDeliveries: Int
    public var attempts: [SimulatorDeliveryAttempt]
}

/// The order in which `deliver`/`release` hand events to the webhook queue.
public enum SimulatorDeliveryOrder: String, Codable, Sendable {
    /// As listed (generation order for `release`).
    case given
    case reversed
    case shuffled
}

/// The control API in Swift: every `/_sim/…` route calls one of these, and in-process tests may call
/// them directly. Errors are Stripe-shaped (`StripeAPIError`) with 400/404/409 statuses.
extension StripeSimulator {
    static func controlError(_ status: Int, _ code: String, _ message: String) -> StripeAPIError {
        StripeAPIError(status: status, type: "invalid_request_error", code: code, message: message)
    }

    /// Runs a control mutation under the lock (after the lazy expiry sweep) and wakes the deliverer.
    func control<T>(_ body: (inout SimulatorState) throws(StripeAPIError) -> T) throws(StripeAPIError) -> T {
        let result = state.withLock { s -> Result<T, StripeAPIError> in
            sweepExpired(&s)
            do throws(StripeAPIError) {
                return .success(try body(&s))
            } catch {
                return .failure(error)
            }
        }
        wake.signal()
        return try result.get()
    }

    private func openRecord(_ s: SimulatorState, _ id: String) throws(StripeAPIError) -> SimulatorState.SessionRecord {
        guard let r = s.sessions[id] else { throw Self.noSuchSession(id) }
        guard r.session.status == .open else {
            throw Self.controlError(409, "session_not_open", "Session \(id) is \(r.session.status.rawValue), not open.")
        }
        return r
    }

    private func paymentIntent(for r: SimulatorState.SessionRecord, _ s: inout SimulatorState) -> PaymentIntent {
        if let id = r.session.paymentIntent, let pi = s.paymentIntents[id] { return pi }
        let pi = PaymentIntent(
            id: StripeID.make("pi_test_"), amount: r.session.amountTotal ?? 0, amountReceived: 0,
            currency: r.session.currency, status: .requiresPaymentMethod, metadata: r.paymentIntentMetadata,
            created: now(s))
        s.paymentIntents[pi.id] = pi
        return pi
    }

    private func succeedPayment(_ r: inout SimulatorState.SessionRecord, _ s: inout SimulatorState) -> [String] {
        var pi = paymentIntent(for: r, &s)
        let charge = Charge(
            id: StripeID.make("ch_test_"), amount: pi.amount, paid: true, currency: pi.currency,
            paymentIntent: pi.id, metadata: pi.metadata, status: .succeeded, created: now(s))
        s.charges[charge.id] = charge
        pi.status = .succeeded
        pi.amountReceived = pi.amount
        pi.latestCharge = charge.id
        pi.lastPaymentError = nil
        s.paymentIntents[pi.id] = pi
        r.chargeID = charge.id
        r.session.paymentIntent = pi.id
        r.session.paymentStatus = .paid
        return [
            emit(&s, type: "charge.succeeded", object: .charge(charge), request: nil),
            emit(&s, type: "payment_intent.succeeded", object: .paymentIntent(pi), request: nil),
        ]
    }

    /// The customer pays: `complete`/`paid`; events `charge.succeeded`, `payment_intent.succeeded`,
    /// `checkout.session.completed`.
    public func pay(sessionID id: String, email: String? = nil) throws(StripeAPIError) -> SimulatorActionResult {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            var r = try openRecord(s, id)
            // Subscription mode: no PaymentIntent on the session; the first invoice is paid instead.
            var events =
                r.session.mode == "subscription" ? startSubscription(&r, &s, email: email) : succeedPayment(&r, &s)
            r.session.status = .complete
            r.session.url = nil
            r.session.customerEmail = email ?? r.session.customerEmail ?? "customer@example.test"
            r.lastDecline = nil
            s.sessions[id] = r
            events.append(
                emit(&s, type: "checkout.session.completed", object: .checkoutSession(r.session), request: nil))
            return SimulatorActionResult(session: r.session, events: events)
        }
    }

    /// A delayed payment method: `complete`/`unpaid` now (`checkout.session.completed`), settled later by
    /// `asyncPaymentSucceeded` or `asyncPaymentFailed`.
    public func completeUnpaid(sessionID id: String, email: String? = nil) throws(StripeAPIError)
        -> SimulatorActionResult
    {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            var r = try openRecord(s, id)
            var pi = paymentIntent(for: r, &s)
            pi.status = .processing
            s.paymentIntents[pi.id] = pi
            r.session.paymentIntent = pi.id
            r.session.status = .complete
            r.session.paymentStatus = .unpaid
            r.session.url = nil
            r.session.customerEmail = email ?? r.session.customerEmail ?? "customer@example.test"
            s.sessions[id] = r
            let e = emit(&s, type: "checkout.session.completed", object: .checkoutSession(r.session), request: nil)
            return SimulatorActionResult(session: r.session, events: [e])
        }
    }

    private func unpaidCompleteRecord(_ s: SimulatorState, _ id: String) throws(StripeAPIError)
        -> SimulatorState.SessionRecord
    {
        guard let r = s.sessions[id] else { throw Self.noSuchSession(id) }
        guard r.session.status == .complete, r.session.paymentStatus == .unpaid else {
            throw Self.controlError(
                409, "session_not_awaiting_payment",
                "Session \(id) is \(r.session.status.rawValue)/\(r.session.paymentStatus.rawValue), not complete/unpaid."
            )
        }
        return r
    }

    /// The delayed payment arrives: `paid`; `charge.succeeded`, `payment_intent.succeeded`,
    /// `checkout.session.async_payment_succeeded`.
    public func asyncPaymentSucceeded(sessionID id: String) throws(StripeAPIError) -> SimulatorActionResult {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            var r = try unpaidCompleteRecord(s, id)
            var events = succeedPayment(&r, &s)
            s.sessions[id] = r
            events.append(
                emit(
                    &s, type: "checkout.session.async_payment_succeeded", object: .checkoutSession(r.session),
                    request: nil))
            return SimulatorActionResult(session: r.session, events: events)
        }
    }

    /// The delayed payment fails: stays `unpaid`; `payment_intent.payment_failed`,
    /// `checkout.session.async_payment_failed`.
    public func asyncPaymentFailed(sessionID id: String) throws(StripeAPIError) -> SimulatorActionResult {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            let r = try unpaidCompleteRecord(s, id)
            var pi = paymentIntent(for: r, &s)
            pi.status = .requiresPaymentMethod
            pi.lastPaymentError = .init(
                type: "card_error", code: "payment_intent_payment_attempt_failed",
                message: "The payment failed (stripe-sim async failure).")
            s.paymentIntents[pi.id] = pi
            let e1 = emit(&s, type: "payment_intent.payment_failed", object: .paymentIntent(pi), request: nil)
            let e2 = emit(
                &s, type: "checkout.session.async_payment_failed", object: .checkoutSession(r.session), request: nil)
            return SimulatorActionResult(session: r.session, events: [e1, e2])
        }
    }

    /// A declined card: the session stays `open` (the customer may try again);
    /// `payment_intent.payment_failed` + `charge.failed`.
    public func decline(sessionID id: String, message: String? = nil, declineCode: String = "generic_decline")
        throws(StripeAPIError) -> SimulatorActionResult
    {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            var r = try openRecord(s, id)
            var pi = paymentIntent(for: r, &s)
            let text = message ?? "Your card was declined."
            let charge = Charge(
                id: StripeID.make("ch_test_"), amount: pi.amount, paid: false, currency: pi.currency,
                paymentIntent: pi.id, metadata: pi.metadata, failureCode: "card_declined", failureMessage: text,
                status: .failed, created: now(s))
            s.charges[charge.id] = charge
            pi.status = .requiresPaymentMethod
            pi.latestCharge = charge.id
            pi.lastPaymentError = .init(
                type: "card_error", code: "card_declined", declineCode: declineCode, message: text)
            s.paymentIntents[pi.id] = pi
            r.session.paymentIntent = pi.id
            r.lastDecline = text
            s.sessions[id] = r
            let e1 = emit(&s, type: "payment_intent.payment_failed", object: .paymentIntent(pi), request: nil)
            let e2 = emit(&s, type: "charge.failed", object: .charge(charge), request: nil)
            return SimulatorActionResult(session: r.session, events: [e1, e2])
        }
    }

    /// Expires an open session (as the dashboard would): `checkout.session.expired`.
    public func expire(sessionID id: String) throws(StripeAPIError) -> SimulatorActionResult {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            let before = s.eventOrder.count
            guard s.sessions[id] != nil else { throw Self.noSuchSession(id) }
            do throws(StripeAPIError) {
                let session = try expire(&s, id: id, request: nil)
                return SimulatorActionResult(session: session, events: Array(s.eventOrder[before...]))
            } catch {
                throw Self.controlError(409, "session_not_open", error.message ?? "not open")
            }
        }
    }

    /// Refunds `amount` (default: all that is left) of a paid session's charge (as the dashboard would):
    /// `refund.created` (succeeded), then `charge.refunded` with the cumulative `amount_refunded`
    /// (`refunded` true once it reaches `amount`).
    public func refund(sessionID id: String, amount: Int64? = nil) throws(StripeAPIError) -> SimulatorActionResult {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            guard let r = s.sessions[id] else { throw Self.noSuchSession(id) }
            guard let chargeID = r.chargeID, var charge = s.charges[chargeID] else {
                throw Self.controlError(409, "session_not_paid", "Session \(id) has no successful charge to refund.")
            }
            let remaining = charge.amount - charge.amountRefunded
            let value = amount ?? remaining
            guard value >= 1, value <= remaining else {
                throw Self.controlError(
                    400, "amount_too_large",
                    "Refund amount \(value) must be between 1 and the \(remaining) not yet refunded.")
            }
            charge.amountRefunded += value
            charge.refunded = charge.amountRefunded == charge.amount
            s.charges[chargeID] = charge
            let refund = SimulatorState.RefundRecord(
                id: StripeID.make("re_test_"), amount: value, chargeID: chargeID, paymentIntentID: charge.paymentIntent,
                currency: charge.currency, created: now(s))
            s.refunds[refund.id] = refund
            s.refundOrder.append(refund.id)
            let created = emit(&s, type: "refund.created", object: .refund(Self.refundObject(refund)), request: nil)
            let e = emit(&s, type: "charge.refunded", object: .charge(charge), request: nil)
            return SimulatorActionResult(session: r.session, events: [created, e])
        }
    }

    // MARK: - Inspection

    /// A session by id (nil when unknown).
    public func session(_ id: String) -> CheckoutSession? {
        state.withLock { s in
            sweepExpired(&s)
            return s.sessions[id]?.session
        }
    }

    /// Every session, oldest first.
    public func sessions() -> [CheckoutSession] {
        state.withLock { s in
            sweepExpired(&s)
            return s.sessionOrder.compactMap { s.sessions[$0]?.session }
        }
    }

    /// Every event, oldest first, with its delivery status; optionally only one type.
    public func events(type: String? = nil) -> [SimulatorEventSummary] {
        state.withLock { s in
            s.eventOrder.compactMap { id in
                guard let r = s.events[id], type == nil || r.event.type == type else { return nil }
                return summary(r, s)
            }
        }
    }

    func summary(_ r: SimulatorState.EventRecord, _ s: SimulatorState) -> SimulatorEventSummary {
        let status: String
        if r.scheduledDeliveries == 0 {
            status = "not_configured"
        } else if s.held.contains(where: { $0.eventID == r.event.id }) {
            status = "held"
        } else if r.outstanding > 0 {
            status = "pending"
        } else if r.failedDeliveries > 0 {
            status = "failed"
        } else {
            status = "delivered"
        }
        let objectId: String?
        switch r.event.object {
        case .checkoutSession(let x): objectId = x.id
        case .paymentIntent(let x): objectId = x.id
        case .charge(let x): objectId = x.id
        case .refund(let x): objectId = x.id
        case .dispute(let x): objectId = x.id
        case .earlyFraudWarning(let x): objectId = x.id
        case .subscription(let x): objectId = x.id
        case .invoice(let x): objectId = x.id
        case .other: objectId = nil
        }
        return SimulatorEventSummary(
            id: r.event.id, type: r.event.type, created: r.event.created, objectId: objectId, deliveryStatus: status,
            succeededDeliveries: r.succeededDeliveries, failedDeliveries: r.failedDeliveries, attempts: r.attempts)
    }

    /// The exact JSON bytes of an event (what deliveries send).
    public func eventBody(_ id: String) -> [UInt8]? {
        state.withLock { $0.events[id]?.body }
    }

    /// Every API call seen, oldest first.
    public func requests() -> [SimulatorRequestLogEntry] {
        state.withLock { $0.requestLog }
    }

    // MARK: - Delivery control

    /// Delivers an existing event again, `times` more times.
    public func resend(eventID: String, times: Int = 1) throws(StripeAPIError) {
        try deliver(eventIDs: [eventID], order: .given, times: times)
    }

    /// Queues the given events for delivery in `order`, each `times` times (duplicates adjacent when not
    /// shuffled). `parallel` sends every copy at once on its own thread instead of through the ordered
    /// queue (for "N concurrent duplicates" tests); failed parallel attempts retry through the queue.
    public func deliver(
        eventIDs: [String], order: SimulatorDeliveryOrder = .given, times: Int = 1, parallel: Bool = false
    ) throws(StripeAPIError) {
        let jobs = try control { (s: inout SimulatorState) throws(StripeAPIError) -> [SimulatorState.DeliveryJob] in
            guard s.webhookURL != nil else {
                throw Self.controlError(409, "webhook_not_configured", "No webhook URL is configured.")
            }
            for id in eventIDs where s.events[id] == nil {
                throw Self.controlError(404, "resource_missing", "No such event: '\(id)'")
            }
            guard (1...1000).contains(times) else {
                throw Self.controlError(400, "parameter_invalid_integer", "times must be between 1 and 1000.")
            }
            var ids = eventIDs.flatMap { Array(repeating: $0, count: times) }
            switch order {
            case .given: break
            case .reversed: ids.reverse()
            case .shuffled: ids.shuffle()
            }
            var out: [SimulatorState.DeliveryJob] = []
            for id in ids {
                if let job = enqueueDelivery(&s, eventID: id, bypassQueue: parallel) { out.append(job) }
            }
            return out
        }
        for job in jobs {
            Thread.detachNewThread { [self] in self.runAttempt(job) }
        }
    }

    /// From now on, every new delivery waits `delay` before its first attempt (zero: none), as a slow
    /// Stripe would deliver late; order among them is kept. `reset()` clears it.
    public func delayDeliveries(by delay: Duration) {
        state.withLock { $0.deliveryDelay = max(.zero, min(delay, .seconds(600))) }
    }

    /// From now on, new deliveries wait until `releaseDeliveries`.
    public func holdDeliveries() {
        state.withLock { $0.holding = true }
    }

    /// Stops holding and queues what was held in `order`, each `times` times.
    public func releaseDeliveries(order: SimulatorDeliveryOrder = .given, times: Int = 1) {
        state.withLock { s in
            s.holding = false
            var jobs = s.held
            s.held.removeAll()
            switch order {
            case .given: break
            case .reversed: jobs.reverse()
            case .shuffled: jobs.shuffle()
            }
            for job in jobs {
                s.events[job.eventID]?.outstanding -= 1
                for _ in 0..<max(1, times) { enqueueDelivery(&s, eventID: job.eventID) }
            }
        }
        wake.signal()
    }

    /// Changes where (and with which secrets) events go from now on.
    public func setWebhook(url: URL?, secrets: [String]) {
        state.withLock {
            $0.webhookURL = url
            $0.webhookSecrets = secrets
        }
    }

    /// The next `count` API calls suffer `fault`.
    public func injectFault(_ fault: SimulatorFault, count: Int = 1) {
        state.withLock { s in
            for _ in 0..<max(0, count) { s.faults.append(fault) }
        }
    }

    /// Removes pending faults (and cuts current hangs short).
    public func clearFaults() {
        state.withLock { $0.faults.removeAll() }
        interruptHangs()
    }

    /// Moves the simulated clock forward (sessions past `expires_at` expire, with their events).
    public func advanceClock(seconds: Int64) {
        state.withLock { s in
            s.clockOffset += max(0, seconds)
            sweepExpired(&s)
            runDueRenewals(&s)
        }
        wake.signal()
    }

    /// Forgets everything (sessions, events, queued deliveries, idempotency keys, faults, the clock offset)
    /// but keeps the webhook configuration.
    public func reset() {
        state.withLock { s in
            var fresh = SimulatorState()
            fresh.webhookURL = s.webhookURL
            fresh.webhookSecrets = s.webhookSecrets
            fresh.generation = s.generation + 1
            s = fresh
        }
        interruptHangs()
        wake.signal()
    }

    /// Waits until no delivery is queued, in flight or awaiting a retry (held ones excepted), or until
    /// `timeout`; true when idle.
    public func waitForDeliveries(timeout: Duration = .seconds(10)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let idle = state.withLock { s in s.queue.isEmpty && s.inFlight == 0 }
            if idle { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return false
    }
}
