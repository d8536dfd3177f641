import Foundation
import Logging

/// The `refund_duplicate` outbox job (enqueued only with `AUTO_REFUND_DUPLICATES=true`): a second
/// successful payment of an order is refunded in full without a click, through the admin refund's path
/// (``CheckoutService/refund(orderID:_:actor:)``: validated under the row lock, one Stripe refund per
/// request however often the job runs), with the actor `system:auto-refund-duplicates` and a note in the
/// history saying so.
public struct RefundDuplicateJob: OutboxJobHandler {
    public let kind = "refund_duplicate"
    let service: CheckoutService
    let logger: Logger

    public init(service: CheckoutService, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    public static let note = "duplicate payment refunded automatically (AUTO_REFUND_DUPLICATES)"
    public static let actor = "system:auto-refund-duplicates"

    public func run(_ job: OutboxJob) -> OutboxJobOutcome {
        guard let orderID = job.orderID, let intent = job.payload["paymentIntentId"], !intent.isEmpty else {
            return .failed(error: "refund_duplicate job without an order or payment intent")
        }
        do {
            let order = try service.refund(
                orderID: orderID,
                AdminRefundRequest(reason: "duplicate", note: Self.note, paymentID: intent), actor: Self.actor)
            return .done(detail: "duplicate refunded; order now \(order.order.status.rawValue)")
        } catch .validation(_, let message) {
            // Nothing left to refund (already refunded, by an earlier run or an operator): done.
            return .done(detail: "nothing to refund: \(message)")
        } catch .orderNotFound {
            return .failed(error: "order \(orderID.lowercased) not found")
        } catch .stripeRejected(_, let detail) {
            return .failed(error: "Stripe refused the refund: \(detail)")
        } catch {
            return .retry(error: error.code)
        }
    }

    public func gaveUp(_ job: OutboxJob, error: String) {
        logger.error(
            "automatic refund of a duplicate payment gave up",
            metadata: ["order_id": "\(job.orderID?.lowercased ?? "-")", "error": "\(error)"])
    }
}
