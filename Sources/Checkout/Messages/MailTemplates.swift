/// What a customer e-mail says, from the order as it is when the message is sent.
public struct MailFacts: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var title: String
        public var quantity: Int
        public var amount: Int64
        public init(title: String, quantity: Int, amount: Int64) {
            self.title = title
            self.quantity = quantity
            self.amount = amount
        }
    }

    public var shopName: String
    public var orderNumber: String
    public var currency: String
    public var lines: [Line]
    /// Labelled amounts after the lines (subtotal, discount, tax, shipping when the order has them), then
    /// the total.
    public var totals: [(label: String, amount: Int64)]
    public var total: Int64
    public var amountRefunded: Int64
    /// The address lines to ship to, when the order knows them.
    public var shippingAddress: [String]
    /// Why the payment failed, as the customer was told.
    public var failureReason: String?
    /// Where the customer can pay again (the storefront's cancel page of the order).
    public var retryURL: String?

    public init(
        shopName: String, orderNumber: String, currency: String, lines: [Line],
        totals: [(label: String, amount: Int64)] = [],
        total: Int64, amountRefunded: Int64 = 0, shippingAddress: [String] = [], failureReason: String? = nil,
        retryURL: String? = nil
    ) {
        self.shopName = shopName
        self.orderNumber = orderNumber
        self.currency = currency
        self.lines = lines
        self.totals = totals
        self.total = total
        self.amountRefunded = amountRefunded
        self.shippingAddress = shippingAddress
        self.failureReason = failureReason
        self.retryURL = retryURL
    }

    public static func == (a: MailFacts, b: MailFacts) -> Bool {
        a.shopName == b.shopName && a.orderNumber == b.orderNumber && a.currency == b.currency && a.lines == b.lines
            && a.totals.map(\.label) == b.totals.map(\.label) && a.totals.map(\.amount) == b.totals.map(\.amount)
            && a.total == b.total && a.amountRefunded == b.amountRefunded && a.shippingAddress == b.shippingAddress
            && a.failureReason == b.failureReason && a.retryURL == b.retryURL
    }
}

/// The small templates of the customer e-mails: a subject, a text and an HTML body per kind. Values are
/// put into `{{name}}` slots; in HTML every value is escaped (a product called `<script>` stays text),
/// and `{{{name}}}` takes a fragment this file built itself from escaped values.
public enum MailTemplates {
    public struct Rendered: Sendable, Equatable {
        public var subject: String
        public var text: String
        public var html: String
    }

    static let subjects: [CustomerMessageKind: String] = [
        .orderPaid: "{{shop}}: order {{order}} confirmed",
        .paymentFailed: "{{shop}}: the payment for order {{order}} did not go through",
        .paymentExpired: "{{shop}}: your checkout for order {{order}} expired",
        .refundIssued: "{{shop}}: refund for order {{order}}",
        .renewalFailed: "{{shop}}: the renewal payment for {{order}} failed",
    ]

    static let texts: [CustomerMessageKind: String] = [
        .orderPaid: """
        Thank you! We received your payment for order {{order}}.

        {{{lines}}}
        {{{ship}}}
        We will let you know if anything about your order changes.
        {{shop}}
        """,
        .paymentFailed: """
        The payment for your order {{order}} did not go through: {{reason}}

        Your order is saved. You can try again here:
        {{retry}}

        {{shop}}
        """,
        .paymentExpired: """
        Your checkout for order {{order}} expired before it was paid.

        Your order is saved. You can pay for it here:
        {{retry}}

        {{shop}}
        """,
        .refundIssued: """
        We refunded {{refunded}} of your order {{order}} (total {{total}}).
        Depending on your bank it can take a few days to show on your statement.

        {{shop}}
        """,
        .renewalFailed: """
        We could not charge the renewal of {{order}}: {{reason}}

        Please check your payment method so your subscription continues.
        {{shop}}
        """,
    ]

    static let htmls: [CustomerMessageKind: String] = [
        .orderPaid: """
        <p>Thank you! We received your payment for order <strong>{{order}}</strong>.</p>
        {{{lines}}}{{{ship}}}
        <p>We will let you know if anything about your order changes.</p>
        """,
        .paymentFailed: """
        <p>The payment for your order <strong>{{order}}</strong> did not go through: {{reason}}</p>
        <p>Your order is saved. <a href="{{retry}}">Try the payment again</a>.</p>
        """,
        .paymentExpired: """
        <p>Your checkout for order <strong>{{order}}</strong> expired before it was paid.</p>
        <p>Your order is saved. <a href="{{retry}}">Pay for it now</a>.</p>
        """,
        .refundIssued: """
        <p>We refunded <strong>{{refunded}}</strong> of your order <strong>{{order}}</strong> (total {{total}}).</p>
        <p>Depending on your bank it can take a few days to show on your statement.</p>
        """,
        .renewalFailed: """
        <p>We could not charge the renewal of <strong>{{order}}</strong>: {{reason}}</p>
        <p>Please check your payment method so your subscription continues.</p>
        """,
    ]

    /// The message of `kind` for `facts`.
    public static func render(_ kind: CustomerMessageKind, _ facts: MailFacts) -> Rendered {
        let money = { (amount: Int64) in Money.format(amount, currency: facts.currency) }
        let values: [String: String] = [
            "shop": facts.shopName, "order": facts.orderNumber, "total": money(facts.total),
            "refunded": money(facts.amountRefunded), "reason": facts.failureReason ?? "the payment was declined",
            "retry": facts.retryURL ?? "",
        ]
        var textLines = facts.lines.map { "\($0.quantity) × \($0.title)  \(money($0.amount))" }
        textLines += facts.totals.map { "\($0.label): \(money($0.amount))" }
        textLines.append("Total: \(money(facts.total))")
        let textShip =
            facts.shippingAddress.isEmpty ? "" : "Shipping to:\n" + facts.shippingAddress.joined(separator: "\n") + "\n"
        var rows = facts.lines.map {
            "<tr><td>\($0.quantity) × \(escape($0.title))</td><td align=\"right\">\(escape(money($0.amount)))</td></tr>"
        }
        rows += facts.totals.map {
            "<tr><td>\(escape($0.label))</td><td align=\"right\">\(escape(money($0.amount)))</td></tr>"
        }
        rows.append("<tr><th align=\"left\">Total</th><th align=\"right\">\(escape(money(facts.total)))</th></tr>")
        let htmlLines = "<table cellpadding=\"4\">" + rows.joined() + "</table>"
        let htmlShip =
            facts.shippingAddress.isEmpty
            ? "" : "<p>Shipping to:<br>" + facts.shippingAddress.map(escape).joined(separator: "<br>") + "</p>"
        let subject = fill(subjects[kind] ?? "", values, raw: [:], html: false)
        let text = fill(
            texts[kind] ?? "", values, raw: ["lines": textLines.joined(separator: "\n") + "\n", "ship": textShip],
            html: false)
        let body = fill(htmls[kind] ?? "", values, raw: ["lines": htmlLines, "ship": htmlShip], html: true)
        let html = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(escape(subject))</title></head>
            <body style="font-family: sans-serif; line-height: 1.4">
            \(body)
            <p style="color: #666">\(escape(facts.shopName))</p>
            </body></html>
            """
        return Rendered(subject: subject, text: text, html: html)
    }

    /// Replaces `{{{name}}}` with `raw[name]` and `{{name}}` with `values[name]` (escaped when `html`).
    static func fill(_ template: String, _ values: [String: String], raw: [String: String], html: Bool) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            let triple = rest[open.upperBound...].hasPrefix("{")
            let nameStart = triple ? rest.index(after: open.upperBound) : open.upperBound
            let closing = triple ? "}}}" : "}}"
            guard let close = rest[nameStart...].range(of: closing) else {
                out += rest[open.lowerBound...]
                return out
            }
            let name = String(rest[nameStart..<close.lowerBound])
            if triple {
                out += raw[name] ?? ""
            } else {
                let value = values[name] ?? ""
                out += html ? escape(value) : value
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// HTML text and attribute escaping (`& < > " '`).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
