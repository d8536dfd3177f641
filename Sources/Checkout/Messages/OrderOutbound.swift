/// Which of an order's outbound channels this process writes jobs for: order webhooks
/// (`ORDER_WEBHOOK_URL`). Off by default, so a server without them writes no extra rows.
public struct OutboundSettings: Sendable, Equatable {
    /// Record an `order_webhook` job for each event of a transition.
    public var orderWebhooks: Bool

    public init(orderWebhooks: Bool = false) {
        self.orderWebhooks = orderWebhooks
    }
}

/// What a transition tells the outside world, read off the state before and after it. Pure: the
/// state machine decides the transition, this names its consequences for other systems, so a new
/// input to the state machine gets its webhook events without a rule here as long as it moves the
/// same fields.
public enum OrderOutbound {
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
}
