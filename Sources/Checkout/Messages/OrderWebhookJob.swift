import Foundation
import Logging
import Stripe

/// The `order_webhook` outbox job: POSTs one order event to `ORDER_WEBHOOK_URL`, signed like Stripe
/// signs its webhooks (docs/API.md §5a):
///
/// - `Checkout-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(ORDER_WEBHOOK_SECRET, "<t>.<body>")>`
///   (the key is the secret's UTF-8 bytes as configured; `t` is the time of this attempt, so every
///   retry is signed afresh and a receiver can refuse old ones);
/// - `Checkout-Event-Id` and `Idempotency-Key` (both the event id, for the receiver's deduplication),
///   `Checkout-Event-Type`.
///
/// A 2xx answer is delivered; anything else (other status, timeout, connection failure) is retried
/// with the outbox's backoff until its attempts run out, then the job stays `failed` (shown on the
/// admin order with its last error). Delivery is at least once: receivers deduplicate by event id.
/// Without a URL the job is done at once (nothing is sent).
public struct OrderWebhookJob: OutboxJobHandler {
    public let kind = OrderWebhookStore.jobKind
    let url: URL?
    let secret: String
    let poster: JSONPoster
    let logger: Logger
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - url: the receiver; nil = events are dropped (done at once).
    ///   - secret: `ORDER_WEBHOOK_SECRET`.
    ///   - timeout: seconds a POST may take.
    public init(
        url: URL?, secret: String, timeout: Double, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.url = url
        self.secret = secret
        self.poster = JSONPoster(timeout: timeout)
        self.logger = logger
        self.now = now
    }

    /// The signature header value for `body` at `timestamp` (Stripe's scheme, our secret).
    public static func signature(body: [UInt8], secret: String, timestamp: Int64) -> String {
        stripeSignatureHeader(payload: body, secret: secret, timestamp: timestamp)
    }

    public func run(_ job: OutboxJob) -> OutboxJobOutcome {
        guard let eventID = job.payload["eventId"], let type = job.payload["type"], let text = job.payload["body"]
        else {
            return .failed(error: "order webhook job without its event")
        }
        guard let url else { return .done(detail: "ORDER_WEBHOOK_URL unset: \(type) not sent") }
        let body = Array(text.utf8)
        let timestamp = Int64(now().timeIntervalSince1970)
        let headers = [
            ("Checkout-Signature", Self.signature(body: body, secret: secret, timestamp: timestamp)),
            ("Checkout-Event-Id", eventID), ("Checkout-Event-Type", type), ("Idempotency-Key", eventID),
        ]
        switch poster.post(url: url, headers: headers, body: body) {
        case .success(let answer) where (200..<300).contains(answer.status):
            return .done(detail: "\(type) delivered (\(answer.status))")
        case .success(let answer):
            return .retry(error: "order webhook answered HTTP \(answer.status)")
        case .failure(let failure):
            return .retry(error: "order webhook: \(failure.description)")
        }
    }

    public func gaveUp(_ job: OutboxJob, error: String) {
        logger.error(
            "order webhook event given up",
            metadata: [
                "event_id": .string(job.payload["eventId"] ?? "-"), "type": .string(job.payload["type"] ?? "-"),
                "order_id": .string(job.orderID?.lowercased ?? "-"), "error": .string(error),
            ])
    }
}
