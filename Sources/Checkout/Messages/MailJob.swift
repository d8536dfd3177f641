import Foundation
import Logging
import SMTP

/// The `mail` outbox job: sends one customer message (a `customer_messages` row) through SMTP.
///
/// Exactly once, as far as SMTP allows: the row is recorded once per (order, kind, key) and its job is
/// keyed by the row; the outbox runs a job on one worker at a time; the row is marked `sending` before the
/// submission and `sent` right after the server accepted it, and a sent row is never sent again (nor
/// changed: trigger). Only a crash between the server's 250 and that update sends it again on the retry,
/// with the same `Message-ID`.
///
/// Outcomes: a 4xx answer, no connection, a timeout or refused credentials are retried with the outbox's
/// backoff; a 5xx answer gives the message up at once (`failed`, with the server's code and text, shown
/// on the admin order), as do exhausted retries. A message that would be wrong when it is sent is
/// `skipped`: no customer address, or a payment-failed/expired message for an order that was paid
/// meanwhile.
public struct MailJob: OutboxJobHandler {
    public let kind = CustomerMessageStore.jobKind
    let service: CheckoutService
    let client: SMTPClient?
    let from: MailAddress
    let logger: Logger
    let messages = CustomerMessageStore()

    /// - Parameters:
    ///   - client: nil = nothing is sent (messages are skipped; not written at all without `SMTP_URL`).
    ///   - from: `MAIL_FROM`; its display name is the shop's name in the messages.
    public init(service: CheckoutService, client: SMTPClient?, from: MailAddress, logger: Logger) {
        self.service = service
        self.client = client
        self.from = from
        self.logger = logger
    }

    public func run(_ job: OutboxJob) -> OutboxJobOutcome {
        guard let id = job.payload["messageId"].flatMap(Int64.init) else {
            return .failed(error: "mail job without a message id")
        }
        let loaded: (CustomerMessageRecord, OrderRecord, [OrderItemRecord])?
        do {
            loaded = try service.run {
                try service.pool.withConnection { db -> (CustomerMessageRecord, OrderRecord, [OrderItemRecord])? in
                    guard let message = try messages.message(db, id: id),
                        let order = try service.orders.order(db, id: message.orderID)
                    else { return nil }
                    return (message, order, try service.orders.items(db, orderID: order.id))
                }
            }
        } catch {
            return .retry(error: "could not load the message: \(error.code)")
        }
        guard let (message, order, items) = loaded else { return .failed(error: "message \(id) not found") }
        guard ["pending", "sending"].contains(message.status) else {
            return .done(detail: "nothing to do: message is \(message.status)")
        }
        if let reason = Self.skipReason(message.kind, order: order, canSend: client != nil) {
            return finish(id, status: "skipped", code: nil, error: reason, outcome: .done(detail: "skipped: \(reason)"))
        }
        guard let client, let to = order.customerEmail else { return .failed(error: "unreachable") }
        do {
            guard try service.run({ try service.pool.withConnection { db in try messages.beginSending(db, id: id) } })
            else { return .done(detail: "message is no longer pending") }
        } catch {
            return .retry(error: "could not mark the message sending: \(error.code)")
        }
        let rendered = MailTemplates.render(message.kind, facts(order, items, amountRefunded: message.key))
        let mail = MailMessage(
            from: from, to: to, subject: rendered.subject, text: rendered.text, html: rendered.html,
            messageID: "m\(id).\(message.kind.rawValue).\(order.id.lowercased)@\(from.domain)")
        let outcome = client.send(from: from.address, to: [to], message: mail.render())
        switch outcome {
        case .sent(let code):
            return finish(
                id, status: "sent", code: code, error: nil,
                outcome: .done(detail: "\(message.kind.rawValue) sent (\(code))"))
        case .temporary(let code, _):
            return finish(
                id, status: "pending", code: code, error: "SMTP \(outcome)", outcome: .retry(error: "SMTP \(outcome)"))
        case .permanent(let code, _):
            return finish(
                id, status: "failed", code: code, error: "SMTP \(outcome)", outcome: .failed(error: "SMTP \(outcome)"))
        }
    }

    public func gaveUp(_ job: OutboxJob, error: String) {
        guard let id = job.payload["messageId"].flatMap(Int64.init) else { return }
        let message = "\(error) (gave up after \(job.attempt) attempt\(job.attempt == 1 ? "" : "s"))"
        do {
            try service.run {
                try service.pool.withConnection { db in
                    try messages.finish(db, id: id, status: "failed", smtpCode: nil, error: message)
                }
            }
        } catch {
            logger.error("could not record the failed customer message", metadata: ["message_id": "\(id)"])
        }
    }

    /// Why the message of `kind` is not to be sent for `order` as it is now, or nil.
    static func skipReason(_ kind: CustomerMessageKind, order: OrderRecord, canSend: Bool) -> String? {
        if !canSend { return "SMTP_URL is not configured" }
        guard let email = order.customerEmail, MailAddress.isUsable(email) else { return "no usable customer address" }
        if [.paymentFailed, .paymentExpired].contains(kind), order.state.status.hasReceivedPayment {
            return "the order was paid meanwhile"
        }
        return nil
    }

    private func facts(_ order: OrderRecord, _ items: [OrderItemRecord], amountRefunded key: String) -> MailFacts {
        MailFacts(
            shopName: from.name ?? from.domain, orderNumber: order.orderNumber, currency: order.currency,
            lines: items.map { .init(title: $0.title, quantity: $0.quantity, amount: $0.amountTotal) },
            total: order.state.amountTotal, amountRefunded: Int64(key) ?? order.state.amountRefunded,
            failureReason: order.state.failureReason,
            retryURL: service.configuration.cancelURL(orderID: order.id))
    }

    /// Records the message's result, then answers `outcome`. A sent message whose record failed is
    /// retried a few times at once: another run would send it again.
    private func finish(_ id: Int64, status: String, code: Int?, error: String?, outcome: OutboxJobOutcome)
        -> OutboxJobOutcome
    {
        for attempt in 1...3 {
            do {
                try service.run {
                    try service.pool.withConnection { db in
                        try messages.finish(db, id: id, status: status, smtpCode: code, error: error)
                    }
                }
                return outcome
            } catch {
                if status != "sent" || attempt == 3 {
                    return .retry(error: "could not record the message as \(status): \(error.code)")
                }
            }
        }
        return outcome
    }
}
