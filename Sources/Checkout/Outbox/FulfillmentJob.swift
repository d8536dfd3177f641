import Foundation
import Logging

/// The `fulfill` outbox job: hands a paid order to the supplier.
///
/// POSTs the order as JSON (the admin order of docs/API.md §4 without `sessions`, `events` and
/// `history`) to `FULFILLMENT_WEBHOOK_URL` with `Idempotency-Key: fulfill:<order id>`, so a repeat
/// after a crash or a lost answer is recognisable by the supplier. A 2xx answer is success; an
/// optional `{"reference": "…"}` in it is stored. Anything else (non-2xx, timeout, connection
/// failure) is retried by the worker; once the attempts are exhausted the order's fulfillment is
/// recorded as failed (needs attention, one notification). With no URL configured, fulfillment
/// succeeds at once.
///
/// Idempotent: an order whose fulfillment is no longer `pending` is left alone (done). An order that
/// was fully refunded before its fulfillment ran is not sent; its fulfillment is recorded as failed
/// ("not sent: … refunded …") without flagging it for attention.
public struct FulfillmentJob: OutboxJobHandler {
    public let kind = "fulfill"
    let service: CheckoutService
    let url: URL?
    let poster: JSONPoster
    let logger: Logger

    /// - Parameters:
    ///   - url: the supplier's webhook; nil = fulfillment succeeds at once.
    ///   - timeout: seconds a POST may take.
    public init(service: CheckoutService, url: URL?, timeout: Double, logger: Logger) {
        self.service = service
        self.url = url
        self.poster = JSONPoster(timeout: timeout)
        self.logger = logger
    }

    public func run(_ job: OutboxJob) -> OutboxJobOutcome {
        guard let orderID = job.orderID ?? job.payload["orderId"].flatMap(UUID.init(uuidString:)) else {
            return .failed(error: "fulfill job without an order id")
        }
        let loaded: AdminOrder?
        do {
            loaded = try service.run {
                try service.pool.withConnection { db -> AdminOrder? in
                    guard let record = try service.orders.order(db, id: orderID) else { return nil }
                    return AdminOrder(record, items: try service.orders.items(db, orderID: orderID))
                }
            }
        } catch {
            return .retry(error: "could not load the order: \(error.code)")
        }
        guard let order = loaded else { return .failed(error: "order \(orderID.lowercased) not found") }
        guard order.order.fulfillmentStatus == .pending else {
            return .done(detail: "nothing to do: fulfillment is \(order.order.fulfillmentStatus.rawValue)")
        }
        if order.order.status == .refunded {
            // Fully refunded before it was sent: shipping it now would give the goods away.
            do {
                try service.recordFulfillmentFailed(
                    orderID: orderID, error: "not sent: the order was fully refunded before fulfillment")
                return .done(detail: "refunded before fulfillment; not sent")
            } catch {
                return .retry(error: "could not record the refunded order: \(error.code)")
            }
        }
        guard let url else {
            return record(orderID, reference: nil, detail: "no FULFILLMENT_WEBHOOK_URL: fulfilled at once")
        }
        let body: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            body = Array(try encoder.encode(order))
        } catch {
            return .failed(error: "could not encode the order: \(error)")
        }
        switch poster.post(url: url, headers: [("Idempotency-Key", "fulfill:\(orderID.lowercased)")], body: body) {
        case .success(let answer) where (200..<300).contains(answer.status):
            let reference = Self.reference(in: answer.body)
            return record(
                orderID, reference: reference,
                detail: "supplier answered \(answer.status)" + (reference == nil ? "" : " with a reference"))
        case .success(let answer):
            return .retry(error: "supplier answered HTTP \(answer.status)")
        case .failure(let failure):
            return .retry(error: "supplier: \(failure.description)")
        }
    }

    public func gaveUp(_ job: OutboxJob, error: String) {
        guard let orderID = job.orderID ?? job.payload["orderId"].flatMap(UUID.init(uuidString:)) else { return }
        let message = "\(error) (gave up after \(job.attempt) attempt\(job.attempt == 1 ? "" : "s"))"
        do {
            try service.recordFulfillmentFailed(orderID: orderID, error: message)
        } catch {
            // The job row is already failed; the reconciler records the failure later.
            logger.error(
                "could not record the failed fulfillment",
                metadata: ["order_id": .string(orderID.lowercased), "error": .string(error.code)])
        }
    }

    private func record(_ orderID: UUID, reference: String?, detail: String) -> OutboxJobOutcome {
        do {
            try service.recordFulfillmentSucceeded(orderID: orderID, reference: reference)
            return .done(detail: detail)
        } catch {
            // Delivered but not recorded: the retry POSTs again with the same Idempotency-Key.
            return .retry(error: "fulfilled but not recorded: \(error.code)")
        }
    }

    /// `reference` of a JSON object answer: a non-empty string of at most 255 characters, else nil.
    public static func reference(in body: [UInt8]) -> String? {
        guard !body.isEmpty,
            let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let reference = object["reference"] as? String
        else { return nil }
        let trimmed = reference.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 255 else { return nil }
        return trimmed
    }
}
