import Foundation

/// The Slack text of a notification (pure, so its wording is tested without a webhook).
///
/// Slack incoming webhooks take `{"text": "…"}` with `<url|label>` links; `&`, `<` and `>` in our
/// own text are escaped so an error message cannot inject links or mentions.
public enum NotificationText {
    /// What a notification is about.
    public struct Facts: Sendable, Equatable {
        public var kind: NotificationKind
        public var orderNumber: String
        public var amountTotal: Int64?
        public var currency: String?
        /// Why the order needs attention (or nil).
        public var reason: String?
        /// The supplier's reference of a confirmed order (or nil).
        public var reference: String?
        /// `…/admin/#/orders/<id>`.
        public var adminURL: String

        public init(
            kind: NotificationKind, orderNumber: String, amountTotal: Int64?, currency: String?, reason: String?,
            reference: String?, adminURL: String
        ) {
            self.kind = kind
            self.orderNumber = orderNumber
            self.amountTotal = amountTotal
            self.currency = currency
            self.reason = reason
            self.reference = reference
            self.adminURL = adminURL
        }
    }

    /// The message text.
    public static func render(_ facts: Facts) -> String {
        var amount = ""
        if let total = facts.amountTotal, let currency = facts.currency {
            amount = " (" + escape(Money.format(total, currency: currency)) + ")"
        }
        let number = escape(facts.orderNumber)
        let link = "<\(facts.adminURL)|Open in admin>"
        switch facts.kind {
        case .needsAttention:
            let why = escape(String((facts.reason ?? "no reason recorded").prefix(500)))
            return ":warning: Order \(number)\(amount) needs attention: \(why). \(link)"
        case .orderConfirmed:
            let ref = facts.reference.map { ", fulfillment reference " + escape(String($0.prefix(200))) } ?? ""
            return ":white_check_mark: Order \(number)\(amount) confirmed\(ref). \(link)"
        }
    }

    /// `<base>/admin/#/orders/<id>` (the admin page's order detail).
    public static func adminURL(base: String, orderID: UUID) -> String {
        var b = base
        while b.hasSuffix("/") { b.removeLast() }
        return b + "/admin/#/orders/" + orderID.uuidString.lowercased()
    }

    /// Slack's escaping of control characters in message text.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
