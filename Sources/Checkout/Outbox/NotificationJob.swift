import Foundation
import Logging

/// The `notify` outbox job: tells operators that an order needs attention or was confirmed.
///
/// Posts Slack incoming-webhook JSON (`{"text": …}`, see ``NotificationText``) to
/// `NOTIFY_WEBHOOK_URL`; non-2xx answers and timeouts are retried by the worker like any job. With
/// no URL configured the message is logged (one line) and the job is done. The URL itself is a
/// secret (it embeds a token) and is never logged.
public struct NotificationJob: OutboxJobHandler {
    public let kind = "notify"
    let service: CheckoutService
    let url: URL?
    let poster: JSONPoster
    let adminBaseURL: String
    let logger: Logger

    /// - Parameters:
    ///   - url: the Slack-compatible webhook; nil = log only.
    ///   - adminBaseURL: where operators reach this server (`PUBLIC_BASE_URL`, else `http://HOST:PORT`).
    public init(service: CheckoutService, url: URL?, timeout: Double, adminBaseURL: String, logger: Logger) {
        self.service = service
        self.url = url
        self.poster = JSONPoster(timeout: timeout)
        self.adminBaseURL = adminBaseURL
        self.logger = logger
    }

    public func run(_ job: OutboxJob) -> OutboxJobOutcome {
        guard let kind = job.payload["kind"].flatMap(NotificationKind.init(rawValue:)) else {
            return .failed(error: "notify job with unknown kind \(job.payload["kind"] ?? "-")")
        }
        guard let orderID = job.orderID ?? job.payload["orderId"].flatMap(UUID.init(uuidString:)) else {
            return .failed(error: "notify job without an order id")
        }
        let record: OrderRecord?
        do {
            record = try service.run {
                try service.pool.withConnection { db in try service.orders.order(db, id: orderID) }
            }
        } catch {
            return .retry(error: "could not load the order: \(error.code)")
        }
        let facts = NotificationText.Facts(
            kind: kind, orderNumber: record?.orderNumber ?? job.payload["orderNumber"] ?? orderID.lowercased,
            amountTotal: record?.state.amountTotal, currency: record?.currency,
            reason: job.payload["reason"] ?? record?.state.attentionReason,
            reference: record?.state.fulfillmentReference,
            adminURL: NotificationText.adminURL(base: adminBaseURL, orderID: orderID))
        let text = NotificationText.render(facts)
        guard let url else {
            logger.notice(
                "notification (NOTIFY_WEBHOOK_URL unset, logged only)",
                metadata: [
                    "kind": .string(kind.rawValue), "order_id": .string(orderID.lowercased), "text": .string(text),
                ])
            return .done(detail: "logged only")
        }
        let body: [UInt8]
        do {
            body = Array(try JSONSerialization.data(withJSONObject: ["text": text]))
        } catch {
            return .failed(error: "could not encode the notification")
        }
        switch poster.post(url: url, headers: [], body: body) {
        case .success(let answer) where (200..<300).contains(answer.status):
            return .done(detail: "\(kind.rawValue) notification delivered")
        case .success(let answer):
            return .retry(error: "notification webhook answered HTTP \(answer.status)")
        case .failure(let failure):
            return .retry(error: "notification webhook: \(failure.description)")
        }
    }

    public func gaveUp(_ job: OutboxJob, error: String) {
        logger.error(
            "notification could not be delivered",
            metadata: [
                "kind": .string(job.payload["kind"] ?? "-"), "order_id": .string(job.orderID?.lowercased ?? "-"),
                "error": .string(String(error.prefix(300))),
            ])
    }
}
