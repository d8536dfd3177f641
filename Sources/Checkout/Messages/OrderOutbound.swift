/// Which of an order's outbound channels this process writes jobs for: customer e-mail (`SMTP_URL`) and
/// order webhooks (`ORDER_WEBHOOK_URL`). Off by default, so a server without them writes no extra rows.
public struct OutboundSettings: Sendable, Equatable {
    /// Record a customer message (and its `mail` job) for each transition that asks for one.
    public var customerMessages: Bool
    /// Record an `order_webhook` job for each event of a transition.
    public var orderWebhooks: Bool

    public init(customerMessages: Bool = false, orderWebhooks: Bool = false) {
        self.customerMessages = customerMessages
        self.orderWebhooks = orderWebhooks
    }
}

/// An e-mail the customer gets about their order. One per (order, kind, key): the `customer_messages`
/// table's unique key, so a message is recorded once however often its transition is replayed.
public enum CustomerMessageKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The payment was received: order number, items, totals (and the shipping address when known).
    case orderPaid = "order_paid"
    /// The payment failed: a link back to retry it.
    case paymentFailed = "payment_failed"
    /// The checkout session expired unpaid: a link back to retry it.
    case paymentExpired = "payment_expired"
    /// Money went back to the customer (one message per refunded total).
    case refundIssued = "refund_issued"
    /// A subscription's renewal could not be charged.
    case renewalFailed = "renewal_failed"
}

/// What a transition tells the outside world, read off the state before and after it. Pure: the
/// state machine decides the transition, this names its consequences for the customer and for other
/// systems, so a new input to the state machine gets its e-mails and webhook events without a rule here
/// as long as it moves the same fields. A transition the fields do not describe (e.g. a renewal of a
/// subscription) asks for its message explicitly with ``OrderEffect/customerMessage(_:key:)``.
public enum OrderOutbound {
    /// The customer messages `before → after` asks for, as effects (kind and per-kind key):
    /// - ``CustomerMessageKind/orderPaid`` when the order first holds money (paid or confirmed; a payment
    ///   that arrives already refunded in full sends none);
    /// - ``CustomerMessageKind/paymentFailed`` when it becomes `failed`;
    /// - ``CustomerMessageKind/paymentExpired`` when it goes from `pending_payment` to `expired` (one that
    ///   failed first already has its retry link);
    /// - ``CustomerMessageKind/refundIssued`` when the refunded total grows, keyed by the new total.
    public static func customerMessages(from before: OrderState, to after: OrderState) -> [OrderEffect] {
        var out: [OrderEffect] = []
        if !before.status.hasReceivedPayment, [.paid, .confirmed].contains(after.status) {
            out.append(.customerMessage(.orderPaid, key: ""))
        }
        if after.status == .failed, before.status != .failed {
            out.append(.customerMessage(.paymentFailed, key: ""))
        }
        if after.status == .expired, before.status == .pendingPayment {
            out.append(.customerMessage(.paymentExpired, key: ""))
        }
        if after.amountRefunded > before.amountRefunded {
            out.append(.customerMessage(.refundIssued, key: String(after.amountRefunded)))
        }
        return out
    }

    /// The order webhook event types of `before → after`, in this order:
    /// - `order.<status>` when the status changed (`order.paid`, `order.confirmed`, `order.failed`,
    ///   `order.expired`, `order.cancelled`, `order.refunded`, `order.pending_payment` for a new attempt);
    /// - `order.partially_refunded` when the refunded total grew and the order is not (yet) `refunded`;
    /// - `order.needs_attention` when the order became flagged, or a flagged order got another reason;
    /// - `order.attention_cleared` when the last reason was resolved.
    public static func webhookEvents(from before: OrderState, to after: OrderState) -> [String] {
        var out: [String] = []
        if after.status != before.status {
            out.append("order.\(after.status.rawValue)")
        }
        if after.amountRefunded > before.amountRefunded, after.status != .refunded {
            out.append("order.partially_refunded")
        }
        if after.needsAttention, !before.needsAttention || after.attentionReason != before.attentionReason {
            out.append("order.needs_attention")
        }
        if before.needsAttention, !after.needsAttention {
            out.append("order.attention_cleared")
        }
        return out
    }

    /// Every event type ``webhookEvents(from:to:)`` can produce (docs, tests).
    public static let webhookEventTypes: [String] =
        OrderStatus.allCases.map { "order.\($0.rawValue)" } + [
            "order.partially_refunded", "order.needs_attention", "order.attention_cleared",
        ]

    /// The effects `apply` adds to a transition: derived messages of a kind the transition did not ask
    /// for explicitly (an explicit one wins, so an input that names its own key is never sent twice).
    public static func derivedMessages(explicit: [OrderEffect], from before: OrderState, to after: OrderState)
        -> [OrderEffect]
    {
        let asked = Set(
            explicit.compactMap { effect -> CustomerMessageKind? in
                if case .customerMessage(let kind, _) = effect { return kind }
                return nil
            })
        return customerMessages(from: before, to: after).filter { effect in
            if case .customerMessage(let kind, _) = effect { return !asked.contains(kind) }
            return false
        }
    }
}
