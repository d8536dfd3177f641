import Stripe

/// The simulator's stand-in for Stripe's hosted Checkout page: plain HTML, no script, three forms.
enum HostedPage {
    /// `1250 usd` → `12.50 USD`; `800 jpy` → `800 JPY` (exponents from ``StripeCurrency``).
    static func money(_ amount: Int64, _ currency: String) -> String {
        let digits = StripeCurrency(currency)?.formatted(amount) ?? String(amount)
        return "\(digits) \(currency.uppercased())"
    }

    /// Escapes text for HTML element content and attribute values.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
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

    static func render(_ record: SimulatorState.SessionRecord, notice: String? = nil) -> String {
        let s = record.session
        let id = escape(s.id)
        var rows = ""
        for item in record.lineItems {
            rows += "<tr><td>\(escape(item.name))</td><td class=n>\(item.quantity)</td>"
            rows += "<td class=n>\(money(item.unitAmount, item.currency))</td>"
            rows += "<td class=n>\(money(item.unitAmount * item.quantity, item.currency))</td></tr>\n"
        }
        let total = money(s.amountTotal ?? 0, s.currency ?? "usd")
        var body = ""
        if let notice { body += "<p class=notice role=alert>\(escape(notice))</p>\n" }
        switch s.status {
        case .open:
            if let decline = record.lastDecline {
                body += "<p class=decline role=alert>Payment declined: \(escape(decline)) Try again.</p>\n"
            }
            body += """
                <form method=post action="/pay/\(id)/pay">\(checkoutFields(record))<button id=pay type=submit>Pay \(escape(total))</button></form>
                <form method=post action="/pay/\(id)/decline"><button id=decline type=submit>Decline card</button></form>
                <form method=post action="/pay/\(id)/cancel"><button id=cancel type=submit>Cancel</button></form>

                """
        default:
            body +=
                "<p class=closed>This Checkout Session is \(escape(s.status.rawValue)) (payment \(escape(s.paymentStatus.rawValue))).</p>\n"
        }
        return """
            <!doctype html>
            <html lang=en><head><meta charset=utf-8><meta name=viewport content="width=device-width,initial-scale=1">
            <title>stripe-sim checkout</title>
            <style>body{font:16px system-ui,sans-serif;max-width:36em;margin:2em auto;padding:0 1em}
            table{width:100%;border-collapse:collapse}td,th{padding:.3em;border-bottom:1px solid #ddd}.n{text-align:right}
            form{display:inline-block;margin:1em .5em 0 0}button{font-size:1em;padding:.5em 1em}
            .decline,.notice{color:#a00}.sim{color:#666;font-size:.8em}</style></head>
            <body><p class=sim>stripe-sim: a simulated Stripe Checkout page (test mode, no real payment).</p>
            <h1>Checkout</h1>
            <p>Session <code id=session>\(id)</code>\(s.customerEmail.map { " for \(escape($0))" } ?? "")</p>
            <table><thead><tr><th>Item</th><th class=n>Qty</th><th class=n>Unit</th><th class=n>Amount</th></tr></thead>
            <tbody>
            \(rows)\(totalsRows(record))</tbody>
            <tfoot><tr><th colspan=3>Total</th><th class=n id=total>\(escape(total))</th></tr></tfoot></table>
            \(body)</body></html>

            """
    }

    static func notFound(_ id: String) -> String {
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Not found</title></head><body>"
            + "<h1>No such Checkout Session</h1><p><code>\(escape(id))</code></p></body></html>\n"
    }
}

extension StripeSimulator {
    /// `GET /pay/:id`.
    func hostedPage(id: String) -> SimResponse {
        let record = state.withLock { s in
            sweepExpired(&s)
            return s.sessions[id]
        }
        guard let record else { return .html(HostedPage.notFound(id), status: 404) }
        return .html(HostedPage.render(record))
    }

    /// `POST /pay/:id/pay`: pay, then 303 to `success_url` with `{CHECKOUT_SESSION_ID}` filled in.
    func hostedPay(id: String, checkout: SimulatorCheckoutInput = SimulatorCheckoutInput()) -> SimResponse {
        do {
            let result = try pay(sessionID: id, checkout: checkout)
            let target = (result.session.successURL ?? "/").replacingOccurrences(of: "{CHECKOUT_SESSION_ID}", with: id)
            return .redirect(target)
        } catch {
            return hostedError(id: id, error)
        }
    }

    /// `POST /pay/:id/decline`: a declined attempt; the page again (200), with the decline shown.
    func hostedDecline(id: String) -> SimResponse {
        do {
            _ = try decline(sessionID: id)
            return hostedPage(id: id)
        } catch {
            return hostedError(id: id, error)
        }
    }

    /// `POST /pay/:id/cancel`: 303 to `cancel_url` (the session stays open, as on Stripe).
    func hostedCancel(id: String) -> SimResponse {
        let record = state.withLock { $0.sessions[id] }
        guard let record else { return .html(HostedPage.notFound(id), status: 404) }
        guard record.session.status == .open else {
            return .html(HostedPage.render(record, notice: "This session is no longer open."), status: 409)
        }
        return .redirect(record.session.cancelURL ?? "/pay/\(id)")
    }

    private func hostedError(id: String, _ error: StripeAPIError) -> SimResponse {
        let record = state.withLock { $0.sessions[id] }
        guard let record else { return .html(HostedPage.notFound(id), status: 404) }
        return .html(HostedPage.render(record, notice: error.message), status: error.status)
    }
}

extension SimResponse {
    func with(status: Int) -> SimResponse {
        var r = self
        r.status = status
        return r
    }
}
