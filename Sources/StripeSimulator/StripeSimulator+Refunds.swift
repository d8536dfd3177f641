import Foundation
import HTTPServer
import Stripe

/// Refunds, disputes and early fraud warnings: `POST /v1/refunds` (Stripe's validation and idempotency),
/// refunds that stay pending and later succeed or fail, and disputes / warnings opened and closed by the
/// control API, each with the signed events of the pinned API version
/// (https://docs.stripe.com/api/refunds/create, https://docs.stripe.com/refunds#failed-refunds,
/// https://docs.stripe.com/api/disputes/object, https://docs.stripe.com/api/radar/early_fraud_warnings/object).
extension StripeSimulator {
    static let refundReasons: Set<String> = ["duplicate", "fraudulent", "requested_by_customer"]

    /// `POST /v1/refunds`: `payment_intent` or `charge`, `amount` (default: all that is not refunded yet),
    /// `reason`, `metadata`. Refused like Stripe: an unknown charge or intent, a charge that did not
    /// succeed, one already refunded in full (`charge_already_refunded`), an amount above what is left.
    /// Emits `refund.created` and `charge.refunded`; a refund that stays pending counts as refunded on
    /// the charge until it fails.
    func createRefund(authorization: String?, idempotencyKey: String?, body: [UInt8]) -> SimResponse {
        api(
            method: "POST", path: "/v1/refunds", authorization: authorization, idempotencyKey: idempotencyKey,
            body: body
        ) {
            (s: inout SimulatorState, requestID: String, key: String?, p: [String: FormValue]) throws(StripeAPIError) in
            try SessionCreateRequest.unknownKeys(
                p, allowed: ["payment_intent", "charge", "amount", "reason", "metadata", "expand"], prefix: nil)
            let intentID = try SessionCreateRequest.string(p["payment_intent"], param: "payment_intent")
            let chargeParam = try SessionCreateRequest.string(p["charge"], param: "charge")
            var chargeID = chargeParam
            if let intentID {
                guard let pi = s.paymentIntents[intentID] else {
                    throw Self.noSuch("payment_intent", intentID, param: "payment_intent")
                }
                guard pi.status == .succeeded, let latest = pi.latestCharge else {
                    throw SessionCreateRequest.invalid(
                        "payment_intent",
                        "This PaymentIntent (\(intentID)) does not have a successful charge to refund.")
                }
                chargeID = latest
            }
            guard let chargeID else {
                throw SessionCreateRequest.invalid(
                    nil, "One of the following params should be provided for this request: payment_intent or charge.")
            }
            guard var charge = s.charges[chargeID] else { throw Self.noSuch("charge", chargeID, param: "charge") }
            guard charge.status == .succeeded else {
                throw SessionCreateRequest.invalid(
                    "charge", "This charge (\(chargeID)) has not succeeded and cannot be refunded.")
            }
            let remaining = charge.amount - charge.amountRefunded
            guard remaining > 0 else {
                throw StripeAPIError(
                    status: 400, type: "invalid_request_error", code: "charge_already_refunded", param: nil,
                    message: "Charge \(chargeID) has already been refunded.")
            }
            let amount = try SessionCreateRequest.integer(p["amount"], param: "amount") ?? remaining
            guard amount >= 1 else {
                throw SessionCreateRequest.invalid(
                    "amount", "Invalid positive integer", code: "parameter_invalid_integer")
            }
            guard amount <= remaining else {
                throw SessionCreateRequest.invalid(
                    "amount",
                    "Refund amount (\(amount)) is greater than unrefunded amount on charge (\(remaining))")
            }
            let reason = try SessionCreateRequest.string(p["reason"], param: "reason")
            if let reason, !Self.refundReasons.contains(reason) {
                throw SessionCreateRequest.invalid(
                    "reason", "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer")
            }
            let metadata = try SessionCreateRequest.metadata(p["metadata"], param: "metadata")
            let refund = SimulatorState.RefundRecord(
                id: StripeID.make("re_test_"), amount: amount, chargeID: chargeID,
                paymentIntentID: charge.paymentIntent,
                currency: charge.currency, created: now(s), status: s.refundsStayPending ? "pending" : "succeeded",
                reason: reason, metadata: metadata)
            s.refunds[refund.id] = refund
            s.refundOrder.append(refund.id)
            charge.amountRefunded += amount
            charge.refunded = charge.amountRefunded == charge.amount
            s.charges[chargeID] = charge
            let request = StripeEvent.Request(id: requestID, idempotencyKey: key)
            _ = emit(&s, type: "refund.created", object: .refund(Self.refundObject(refund)), request: request)
            _ = emit(&s, type: "charge.refunded", object: .charge(charge), request: request)
            return .json(wire(refund: refund))
        }
    }

    /// The event object of a refund record.
    static func refundObject(_ r: SimulatorState.RefundRecord) -> Refund {
        Refund(
            id: r.id, amount: r.amount, currency: r.currency, charge: r.chargeID, paymentIntent: r.paymentIntentID,
            status: Refund.Status(rawValue: r.status), reason: r.reason, failureReason: r.failureReason,
            metadata: r.metadata, created: r.created)
    }

    /// Makes new refunds stay `pending` (true) until ``settleRefund(id:succeed:failureReason:)``, or
    /// succeed at once (false, the default).
    public func holdRefundsPending(_ pending: Bool) {
        state.withLock { $0.refundsStayPending = pending }
    }

    /// Settles a refund: a pending one succeeds (`refund.updated`), or a pending or succeeded one fails
    /// (`refund.updated` + `refund.failed`; its amount is no longer refunded on the charge:
    /// `charge.refund.updated` is not sent for cards). Returns the event ids.
    public func settleRefund(id: String, succeed: Bool, failureReason: String? = nil) throws(StripeAPIError)
        -> [String]
    {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            guard var r = s.refunds[id] else { throw Self.noSuch("refund", id, param: "id") }
            if succeed {
                guard r.status == "pending" else {
                    throw Self.controlError(409, "refund_not_pending", "Refund \(id) is \(r.status), not pending.")
                }
                r.status = "succeeded"
                s.refunds[id] = r
                return [emit(&s, type: "refund.updated", object: .refund(Self.refundObject(r)), request: nil)]
            }
            guard r.status == "pending" || r.status == "succeeded" else {
                throw Self.controlError(409, "refund_not_open", "Refund \(id) is \(r.status) and cannot fail.")
            }
            r.status = "failed"
            r.failureReason = failureReason ?? "expired_or_canceled_card"
            s.refunds[id] = r
            if var charge = s.charges[r.chargeID] {
                charge.amountRefunded = max(0, charge.amountRefunded - r.amount)
                charge.refunded = charge.amountRefunded == charge.amount
                s.charges[r.chargeID] = charge
            }
            let object = EventObject.refund(Self.refundObject(r))
            return [
                emit(&s, type: "refund.updated", object: object, request: nil),
                emit(&s, type: "refund.failed", object: object, request: nil),
            ]
        }
    }

    /// Opens a dispute on a paid session's charge (`needs_response`, evidence due in 7 days, or an inquiry
    /// `warning_needs_response`): `charge.dispute.created`, then `charge.dispute.funds_withdrawn` for a
    /// chargeback. Returns the dispute id and the event ids.
    public func openDispute(
        sessionID: String, reason: String = "fraudulent", amount: Int64? = nil, inquiry: Bool = false
    )
        throws(StripeAPIError) -> (id: String, events: [String])
    {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            let charge = try paidCharge(s, sessionID)
            let dispute = Dispute(
                id: StripeID.make("du_test_"), amount: amount ?? charge.amount, currency: charge.currency,
                charge: charge.id, paymentIntent: charge.paymentIntent, reason: reason,
                status: inquiry ? "warning_needs_response" : "needs_response", evidenceDueBy: now(s) + 7 * 86_400,
                created: now(s))
            s.disputes[dispute.id] = dispute
            var events = [emit(&s, type: "charge.dispute.created", object: .dispute(dispute), request: nil)]
            if !inquiry {
                events.append(emit(&s, type: "charge.dispute.funds_withdrawn", object: .dispute(dispute), request: nil))
            }
            return (dispute.id, events)
        }
    }

    /// Moves a dispute to `status`: `under_review` (`charge.dispute.updated`), or closes it as `won` /
    /// `lost` / `warning_closed` (`charge.dispute.closed`; a won chargeback also sends
    /// `charge.dispute.funds_reinstated`). Returns the event ids.
    public func updateDispute(id: String, status: String) throws(StripeAPIError) -> [String] {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            guard var dispute = s.disputes[id] else { throw Self.noSuch("dispute", id, param: "dispute") }
            let allowed: Set<String> = ["under_review", "warning_under_review", "won", "lost", "warning_closed"]
            guard allowed.contains(status) else {
                throw Self.controlError(400, "invalid_status", "A dispute can be moved to \(allowed.sorted()).")
            }
            guard !["won", "lost", "warning_closed", "prevented"].contains(dispute.status) else {
                throw Self.controlError(409, "dispute_closed", "Dispute \(id) is already \(dispute.status).")
            }
            let wasChargeback = !dispute.status.hasPrefix("warning_")
            dispute.status = status
            s.disputes[id] = dispute
            if status.hasSuffix("under_review") {
                return [emit(&s, type: "charge.dispute.updated", object: .dispute(dispute), request: nil)]
            }
            var events = [emit(&s, type: "charge.dispute.closed", object: .dispute(dispute), request: nil)]
            if status == "won", wasChargeback {
                events.append(
                    emit(&s, type: "charge.dispute.funds_reinstated", object: .dispute(dispute), request: nil))
            }
            return events
        }
    }

    /// Raises an early fraud warning on a paid session's charge: `radar.early_fraud_warning.created`.
    public func raiseFraudWarning(
        sessionID: String, actionable: Bool = true, fraudType: String = "unauthorized_use_of_card"
    )
        throws(StripeAPIError) -> (id: String, events: [String])
    {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            let charge = try paidCharge(s, sessionID)
            let warning = EarlyFraudWarning(
                id: StripeID.make("issfr_test_"), actionable: actionable, charge: charge.id,
                paymentIntent: charge.paymentIntent, fraudType: fraudType, created: now(s))
            s.fraudWarnings[warning.id] = warning
            return (
                warning.id,
                [emit(&s, type: "radar.early_fraud_warning.created", object: .earlyFraudWarning(warning), request: nil)]
            )
        }
    }

    private func paidCharge(_ s: SimulatorState, _ sessionID: String) throws(StripeAPIError) -> Charge {
        guard let r = s.sessions[sessionID] else { throw Self.noSuchSession(sessionID) }
        guard let chargeID = r.chargeID, let charge = s.charges[chargeID] else {
            throw Self.controlError(409, "session_not_paid", "Session \(sessionID) has no successful charge.")
        }
        return charge
    }

    /// `dispute` (https://docs.stripe.com/api/disputes/object).
    func wire(dispute d: Dispute) -> Wire {
        [
            "id": .text(d.id), "object": "dispute",
            "amount": .number(d.amount),
            "balance_transactions": .array([]),
            "charge": .text(d.charge),
            "created": .number(d.created ?? 0),
            "currency": .text(d.currency),
            "enhanced_eligibility_types": .array([]),
            "evidence_details": [
                "due_by": d.evidenceDueBy.map { .number($0) } ?? nil, "enhanced_eligibility": [:],
                "has_evidence": false, "past_due": false, "submission_count": 0,
            ],
            "is_charge_refundable": false,
            "livemode": false,
            "metadata": [:],
            "payment_intent": .text(d.paymentIntent),
            "reason": .text(d.reason),
            "status": .text(d.status),
        ]
    }

    /// `radar.early_fraud_warning` (https://docs.stripe.com/api/radar/early_fraud_warnings/object).
    func wire(fraudWarning w: EarlyFraudWarning) -> Wire {
        [
            "id": .text(w.id), "object": "radar.early_fraud_warning",
            "actionable": .bool(w.actionable),
            "charge": .text(w.charge),
            "created": .number(w.created ?? 0),
            "fraud_type": .text(w.fraudType),
            "livemode": false,
            "payment_intent": .text(w.paymentIntent),
        ]
    }
}

extension StripeSimulator {
    /// `POST /v1/refunds` and the control routes for refunds, disputes and fraud warnings.
    func addRefundRoutes(_ r: Router) {
        r.post("/v1/refunds") { [self] req in
            http(
                createRefund(
                    authorization: req.headers["Authorization"], idempotencyKey: req.headers["Idempotency-Key"],
                    body: req.body))
        }
        struct PendingBody: Decodable { var pending: Bool }
        r.post("/_sim/refunds/pending") { [self] req in
            let b: PendingBody = try body(req)
            holdRefundsPending(b.pending)
            return .json(["ok": true])
        }
        struct SettleBody: Decodable { var failureReason: String? }
        r.post("/_sim/refunds/:id/succeed") { [self] req in
            events { () throws(StripeAPIError) in try settleRefund(id: id(req), succeed: true) }
        }
        r.post("/_sim/refunds/:id/fail") { [self] req in
            let b: SettleBody = try body(req)
            return events { () throws(StripeAPIError) in
                try settleRefund(id: id(req), succeed: false, failureReason: b.failureReason)
            }
        }
        struct DisputeBody: Decodable {
            var reason: String?
            var amount: Int64?
            var inquiry: Bool?
        }
        r.post("/_sim/sessions/:id/dispute") { [self] req in
            let b: DisputeBody = try body(req)
            return opened { () throws(StripeAPIError) in
                try openDispute(
                    sessionID: id(req), reason: b.reason ?? "fraudulent", amount: b.amount, inquiry: b.inquiry ?? false)
            }
        }
        struct StatusBody: Decodable { var status: String }
        r.post("/_sim/disputes/:id") { [self] req in
            let b: StatusBody = try body(req)
            return events { () throws(StripeAPIError) in try updateDispute(id: id(req), status: b.status) }
        }
        struct WarningBody: Decodable {
            var actionable: Bool?
            var fraudType: String?
        }
        r.post("/_sim/sessions/:id/early_fraud_warning") { [self] req in
            let b: WarningBody = try body(req)
            return opened { () throws(StripeAPIError) in
                try raiseFraudWarning(
                    sessionID: id(req), actionable: b.actionable ?? true,
                    fraudType: b.fraudType ?? "unauthorized_use_of_card")
            }
        }
    }

    private struct EventsAnswer: Encodable {
        var id: String?
        var events: [String]
    }

    private func events(_ run: () throws(StripeAPIError) -> [String]) -> HTTPResponse {
        do {
            return http(.json(EventsAnswer(id: nil, events: try run())))
        } catch {
            return http(.stripeError(error))
        }
    }

    private func opened(_ run: () throws(StripeAPIError) -> (id: String, events: [String])) -> HTTPResponse {
        do {
            let answer = try run()
            return http(.json(EventsAnswer(id: answer.id, events: answer.events)))
        } catch {
            return http(.stripeError(error))
        }
    }
}
