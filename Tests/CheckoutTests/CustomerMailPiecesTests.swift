import Checkout
import Foundation
import SMTP
import Testing

/// The pure pieces of customer e-mail: which transition asks for which message, the MIME bytes, the
/// templates' escaping, `SMTP_URL` parsing and the SMTP answer rule.
@Suite("customer e-mail pieces")
struct CustomerMailPiecesTests {
    typealias S = OrderOutboundTests

    @Test(
        "messages of a transition",
        arguments: [
            ("paid", S.pending, S.paid, [OrderEffect.customerMessage(.orderPaid, key: "")]),
            ("confirmed after paid", S.paid, S.confirmed, []),
            ("failed", S.pending, S.failed, [.customerMessage(.paymentFailed, key: "")]),
            ("expired", S.pending, S.expired, [.customerMessage(.paymentExpired, key: "")]),
            ("expired after failing", S.failed, S.expired, []),
            ("partial refund", S.confirmed, S.partlyRefunded, [.customerMessage(.refundIssued, key: "1000")]),
            ("full refund", S.partlyRefunded, S.refunded, [.customerMessage(.refundIssued, key: "5000")]),
            ("new attempt", S.failed, S.pending, []),
            ("flagged", S.paid, S.flagged, []),
        ])
    func messages(name: String, before: OrderState, after: OrderState, expected: [OrderEffect]) {
        #expect(OrderOutbound.customerMessages(from: before, to: after) == expected, "\(name)")
    }

    @Test("an input that names its own message wins over the derived one of its kind")
    func explicitWins() {
        let explicit: [OrderEffect] = [.customerMessage(.refundIssued, key: "re_1")]
        #expect(OrderOutbound.derivedMessages(explicit: explicit, from: S.confirmed, to: S.partlyRefunded).isEmpty)
        #expect(OrderOutbound.derivedMessages(explicit: [], from: S.confirmed, to: S.partlyRefunded).count == 1)
    }

    @Test("a title or reason cannot add a header; non-ASCII subjects are RFC 2047 words; bodies are base64")
    func mimeBytes() throws {
        let message = MailMessage(
            from: MailAddress(name: "Café \"Shop\"", address: "shop@example.test"), to: "jane@example.test",
            subject: "Order X\r\nBcc: evil@example.test — ☕", text: "line 1\n.\nline 3", html: "<p>hi</p>",
            messageID: "m1.order_paid.x@example.test", date: Date(timeIntervalSince1970: 1_764_806_400),
            boundary: "BOUNDARY")
        let text = String(decoding: message.render(), as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        #expect(!head.contains("Bcc:"))
        #expect(head.contains("Subject: =?UTF-8?B?"))
        #expect(head.contains("From: =?UTF-8?B?") && head.contains(" <shop@example.test>"))
        #expect(head.contains("Date: Thu, 04 Dec 2025 00:00:00 +0000"))
        #expect(head.contains("Message-ID: <m1.order_paid.x@example.test>"))
        #expect(text.contains("Content-Type: multipart/alternative; boundary=\"BOUNDARY\""))
        #expect(text.contains(Data("line 1\r\n.\r\nline 3".utf8).base64EncodedString()))
        #expect(text.hasSuffix("--BOUNDARY--\r\n"))
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "only CRLF line ends")
    }

    @Test("addresses: usable ones parse, anything that could end a header or an SMTP command does not")
    func addresses() {
        #expect(
            MailAddress.parse("Demo Shop <orders@shop.test>")
                == MailAddress(name: "Demo Shop", address: "orders@shop.test"))
        #expect(MailAddress.parse("\"Demo, Shop\" <orders@shop.test>")?.name == "Demo, Shop")
        #expect(MailAddress.parse("orders@shop.test") == MailAddress(address: "orders@shop.test"))
        for bad in ["no-at", "a@b@c", "a b@c.d", "a@b.c>\r\nRCPT TO:<x@y", "<>", "@b.c", "a@"] {
            #expect(MailAddress.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("templates escape every value in HTML and keep text as it is")
    func templates() {
        let facts = MailFacts(
            shopName: "Shop & Co", orderNumber: "DO-1", currency: "eur",
            lines: [.init(title: "<script>alert(1)</script>", quantity: 2, amount: 2500)], total: 2500,
            shippingAddress: ["Jane <Doe>", "1 Main St"], failureReason: "card \"declined\"",
            retryURL: "http://shop.test/checkout/cancel?order_id=1&x=\"")
        let paid = MailTemplates.render(.orderPaid, facts)
        #expect(paid.subject == "Shop & Co: order DO-1 confirmed")
        #expect(paid.text.contains("2 × <script>alert(1)</script>  25.00 EUR"))
        #expect(paid.text.contains("Shipping to:\nJane <Doe>\n1 Main St"))
        #expect(!paid.html.contains("<script>") && paid.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(paid.html.contains("Jane &lt;Doe&gt;") && paid.html.contains("Shop &amp; Co"))
        let failed = MailTemplates.render(.paymentFailed, facts)
        #expect(failed.html.contains("href=\"http://shop.test/checkout/cancel?order_id=1&amp;x=&quot;\""))
        #expect(failed.html.contains("card &quot;declined&quot;"))
        for kind in CustomerMessageKind.allCases {
            let r = MailTemplates.render(kind, facts)
            #expect(!r.subject.isEmpty && !r.text.contains("{{") && !r.html.contains("{{"), "\(kind)")
        }
    }

    @Test(
        "SMTP_URL",
        arguments: [
            ("smtp://u:p%40ss@mail.example", true, "mail.example", 587, SMTPServer.Security.startTLS, "u", "p@ss"),
            ("smtps://mail.example:2465/", true, "mail.example", 2465, .implicitTLS, nil, nil),
            ("smtp://127.0.0.1:1025", false, "127.0.0.1", 1025, .none, nil, nil),
        ] as [(String, Bool, String, Int, SMTPServer.Security, String?, String?)])
    func smtpURL(
        text: String, startTLS: Bool, host: String, port: Int, security: SMTPServer.Security, user: String?,
        password: String?
    ) throws {
        let server = try SMTPServer.parse(text, startTLS: startTLS).get()
        #expect(server.host == host && server.port == port && server.security == security)
        #expect(server.username == user && server.password == password)
        #expect(!server.description.contains("p@ss") && !server.description.contains("p%40ss"))
    }

    @Test("SMTP_URL refusals: scheme, port, and no plaintext with credentials or to another machine")
    func smtpURLRefused() {
        #expect(SMTPServer.parse("http://mail.example") == .failure(.scheme))
        #expect(SMTPServer.parse("smtp://mail.example:0") == .failure(.port))
        #expect(SMTPServer.parse("smtp://u:p@127.0.0.1:25", startTLS: false) == .failure(.plaintextCredentials))
        #expect(SMTPServer.parse("smtp://mail.example:25", startTLS: false) == .failure(.plaintextRemote))
    }

    @Test(
        "an SMTP answer: 250 sent, 5xx permanent, 4xx / no answer / refused credentials temporary",
        arguments: [
            (0, 250, "sent"), (55, 550, "permanent"), (55, 553, "permanent"), (55, 451, "temporary"),
            (7, 0, "temporary"), (28, 0, "temporary"), (67, 535, "temporary"), (35, 220, "temporary"),
        ])
    func answers(curlCode: Int, response: Int, expected: String) {
        let outcome = SMTPClient.outcome(curlCode: curlCode, response: response, detail: "x")
        switch outcome {
        case .sent: #expect(expected == "sent")
        case .permanent(let code, _): #expect(expected == "permanent" && code == response)
        case .temporary: #expect(expected == "temporary")
        }
    }
}
