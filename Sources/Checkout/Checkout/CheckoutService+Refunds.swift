import Foundation
import Postgres

extension CheckoutService {
    /// `POST /api/admin/orders/:id/refunds`: refunds (part of) one Stripe payment of the order.
    ///
    /// 1. Under the row lock, the request is an input (``OrderEvent/refundRequested(_:)``): the amount
    ///    must fit what that payment can still refund (a no-op is a `validation_error`); the history
    ///    records the request. The outbound `Idempotency-Key` is derived from the request and the
    ///    payment's refunds known at that moment, so a doubled submit (both read the same ledger) sends
    ///    the same key and Stripe refunds once.
    /// 2. Stripe is called without any lock (`POST /v1/refunds`, the order id, actor and restock in the
    ///    refund's metadata, so its events carry them too).
    /// 3. Stripe's answer is an input (``OrderEvent/refundObserved(_:)``): recorded pending or succeeded
    ///    until its events settle it (a replayed answer changes nothing).
    ///
    /// A second submit that arrives after the first one finished (its refund already recorded, so the
    /// derived key would differ) is recognised: an identical refund (same payment, amount and reason)
    /// an admin started within ``duplicateRefundWindow`` seconds is the same request, answered with the
    /// order and sent to Stripe no more.
    public func refund(orderID: UUID, _ request: AdminRefundRequest, actor: String = "admin") throws(CheckoutError)
        -> AdminOrder
    {
        let planned: (payment: Payment, amount: Int64, key: String)? = try run {
            try pool.transaction { db in
                guard var locked = try orders.order(db, id: orderID, forUpdate: true) else {
                    throw CheckoutError.orderNotFound
                }
                try RefundStore().load(db, orderID: orderID, into: &locked.state)
                let payment = try Self.refundTarget(locked.state, paymentID: request.paymentID)
                if try RefundStore().recentAdminRefund(
                    db, paymentIntentID: payment.paymentIntentID ?? "", amount: request.amount, reason: request.reason,
                    seconds: Self.duplicateRefundWindow) != nil
                {
                    return nil  // the same request again: answered with the order, refunded once
                }
                let refundable = RefundLedger.refundable(
                    payment, refunds: locked.state.refunds, disputes: locked.state.disputes)
                let amount = request.amount ?? refundable
                guard refundable > 0 else {
                    throw CheckoutError.validation(
                        field: request.paymentID == nil ? "amount" : "paymentId",
                        message: "nothing left to refund of \(payment.label)")
                }
                guard amount <= refundable else {
                    throw CheckoutError.validation(
                        field: "amount", message: "exceeds the \(refundable) refundable of \(payment.label)")
                }
                if request.restock, amount < refundable {
                    throw CheckoutError.validation(
                        field: "restock", message: "returns every unit: only with a refund of all that is left")
                }
                let intent = payment.paymentIntentID ?? ""
                let known = locked.state.refunds.filter { $0.paymentIntentID == intent && $0.kind == .refund }.count
                let key = "order:\(orderID.lowercased):refund:\(intent):\(known):\(amount):\(request.reason)"
                let decision = try transitions.apply(
                    db, order: locked,
                    event: .refundRequested(
                        RefundRequest(
                            paymentIntentID: intent, amount: amount, reason: request.reason, note: request.note,
                            actor: actor)), actor: actor)
                if decision.newState == nil {
                    throw CheckoutError.validation(field: "amount", message: decision.reason)
                }
                return (payment, amount, key)
            }
        }
        guard let planned else { return try adminOrder(orderID) }
        var metadata = [RefundMetadata.orderID: orderID.lowercased, RefundMetadata.requestedBy: actor]
        if request.restock { metadata[RefundMetadata.restock] = "true" }
        let answer: RefundObservation
        do {
            answer = try gateway.createRefund(
                RefundCreateRequest(
                    paymentIntentID: planned.payment.paymentIntentID ?? "", amount: planned.amount,
                    reason: request.reason, metadata: metadata),
                idempotencyKey: planned.key)
        } catch {
            throw stripeFailure(error, orderID: orderID, action: "create a refund")
        }
        var observed = answer
        observed.requestedBy = actor
        observed.note = request.note
        observed.restock = request.restock
        _ = try input(orderID, .refundObserved(observed), actor: actor)
        return try adminOrder(orderID)
    }

    /// Seconds within which an identical admin refund counts as the same request.
    static let duplicateRefundWindow = 60

    /// The payment an admin refund applies to: the one named, else the order's only Stripe payment with
    /// something left to refund.
    static func refundTarget(_ state: OrderState, paymentID: String?) throws -> Payment {
        let stripe = state.payments.filter { $0.kind == .stripe && $0.paymentIntentID != nil }
        if let paymentID {
            guard let payment = stripe.first(where: { $0.paymentIntentID == paymentID }) else {
                throw CheckoutError.validation(field: "paymentId", message: "is not a Stripe payment of this order")
            }
            return payment
        }
        let open = stripe.filter {
            RefundLedger.refundable($0, refunds: state.refunds, disputes: state.disputes) > 0
        }
        guard open.count <= 1 else {
            throw CheckoutError.validation(
                field: "paymentId", message: "is required: the order has \(open.count) refundable payments")
        }
        guard let payment = open.first ?? stripe.first else {
            throw CheckoutError.validation(field: "paymentId", message: "the order has no Stripe payment to refund")
        }
        return payment
    }
}
