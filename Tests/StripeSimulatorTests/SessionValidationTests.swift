import Foundation
import Stripe
import Testing

@testable import StripeSimulator

/// The create-session validation, as a table: one bad parameter per row, the Stripe error it must give.
@Suite("Session create validation")
struct SessionValidationTests {
    static let now: Int64 = 1_800_000_000

    static let valid: [String: FormValue] = [
        "mode": "payment",
        "success_url": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cancel",
        "line_items": .array([
            .dictionary([
                "price_data": .dictionary([
                    "currency": "usd", "unit_amount": "1250", "product_data": .dictionary(["name": "Mug"]),
                ]),
                "quantity": "2",
            ])
        ]),
        "metadata": .dictionary(["order_id": "o1"]),
        "payment_intent_data": .dictionary(["metadata": .dictionary(["order_id": "o1"])]),
        "customer_email": "a@b.example",
        "client_reference_id": "DO-1",
        "expires_at": .int(now + 3600),
    ]

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String  // form body merged over `valid`
        var remove: [String] = []
        var code: String?
        var param: String?
        var testDescription: String { name }
    }

    static func line(_ field: String, _ value: String) -> String { "line_items[0][\(field)]=\(value)" }

    static let rows: [Row] = [
        .init(name: "mode missing", body: "", remove: ["mode"], code: "parameter_missing", param: "mode"),
        .init(name: "mode unknown", body: "mode=rent", code: nil, param: "mode"),
        .init(
            name: "line_items missing", body: "", remove: ["line_items"], code: "parameter_missing", param: "line_items"
        ),
        .init(
            name: "line_items scalar", body: "", remove: ["line_items"], code: nil, param: "line_items"),
        .init(
            name: "price_data missing", body: "", remove: ["line_items.0.price_data"], code: "parameter_missing",
            param: "line_items[0][price_data]"),
        .init(
            name: "currency missing", body: "", remove: ["line_items.0.price_data.currency"], code: "parameter_missing",
            param: "line_items[0][price_data][currency]"),
        .init(
            name: "currency malformed", body: line("price_data][currency", "dollars"), code: nil,
            param: "line_items[0][price_data][currency]"),
        .init(
            name: "unit_amount missing", body: "", remove: ["line_items.0.price_data.unit_amount"],
            code: "parameter_missing", param: "line_items[0][price_data][unit_amount]"),
        .init(
            name: "unit_amount not integer", body: line("price_data][unit_amount", "12.50"),
            code: "parameter_invalid_integer", param: "line_items[0][price_data][unit_amount]"),
        .init(
            name: "unit_amount negative", body: line("price_data][unit_amount", "-5"),
            code: "parameter_invalid_integer", param: "line_items[0][price_data][unit_amount]"),
        .init(
            name: "unit_amount zero (total below the minimum)", body: line("price_data][unit_amount", "0"),
            code: "amount_too_small", param: nil),
        .init(
            name: "currency not supported", body: line("price_data][currency", "zzz"), code: nil,
            param: "line_items[0][price_data][currency]"),
        .init(
            name: "1 cent total", body: line("price_data][unit_amount", "1") + "&" + line("quantity", "1"),
            code: "amount_too_small", param: nil),
        .init(
            name: "49 cent total", body: line("price_data][unit_amount", "49") + "&" + line("quantity", "1"),
            code: "amount_too_small", param: nil),
        .init(
            name: "49 yen total",
            body: line("price_data][currency", "jpy") + "&" + line("price_data][unit_amount", "49") + "&"
                + line("quantity", "1"), code: "amount_too_small", param: nil),
        .init(
            name: "ISK total not in whole krónur",
            body: line("price_data][currency", "isk") + "&" + line("price_data][unit_amount", "4010") + "&"
                + line("quantity", "1"), code: "invalid_charge_amount_no_decimal_compatible", param: nil),
        .init(
            name: "KWD total not rounded to ten",
            body: line("price_data][currency", "kwd") + "&" + line("price_data][unit_amount", "5125") + "&"
                + line("quantity", "1"), code: "invalid_charge_amount", param: nil),
        .init(
            name: "unit_amount above the currency maximum", body: line("price_data][unit_amount", "100000000"),
            code: "parameter_invalid_integer", param: "line_items[0][price_data][unit_amount]"),
        .init(
            name: "name missing", body: "", remove: ["line_items.0.price_data.product_data.name"],
            code: "parameter_missing", param: "line_items[0][price_data][product_data][name]"),
        .init(
            name: "name empty", body: line("price_data][product_data][name", ""), code: "parameter_invalid_empty",
            param: "line_items[0][price_data][product_data][name]"),
        .init(
            name: "quantity missing", body: "", remove: ["line_items.0.quantity"], code: "parameter_missing",
            param: "line_items[0][quantity]"),
        .init(
            name: "quantity zero", body: line("quantity", "0"), code: "parameter_invalid_integer",
            param: "line_items[0][quantity]"),
        .init(
            name: "quantity text", body: line("quantity", "two"), code: "parameter_invalid_integer",
            param: "line_items[0][quantity]"),
        .init(
            name: "unknown line item field", body: line("tax", "1"), code: "parameter_unknown",
            param: "line_items[0][tax]"),
        .init(name: "unknown parameter", body: "colour=red", code: "parameter_unknown", param: "colour"),
        .init(
            name: "success_url missing", body: "", remove: ["success_url"], code: "parameter_missing",
            param: "success_url"),
        .init(name: "success_url not a URL", body: "success_url=shop", code: "url_invalid", param: "success_url"),
        .init(name: "cancel_url not a URL", body: "cancel_url=ftp://x", code: "url_invalid", param: "cancel_url"),
        .init(
            name: "metadata key too long", body: "metadata[\(String(repeating: "k", count: 41))]=v",
            code: nil, param: "metadata[\(String(repeating: "k", count: 41))]"),
        .init(
            name: "metadata value too long", body: "metadata[k]=\(String(repeating: "v", count: 501))",
            code: nil, param: "metadata[k]"),
        .init(
            name: "metadata key with brackets", body: "metadata[a][b]=v", code: nil,
            param: "metadata[a]"),
        .init(
            name: "metadata 51 keys", body: (0..<50).map { "metadata[k\($0)]=v" }.joined(separator: "&"),
            code: nil, param: "metadata"),
        .init(
            name: "payment_intent_data metadata value too long",
            body: "payment_intent_data[metadata][order_id]=\(String(repeating: "v", count: 501))",
            code: nil, param: "payment_intent_data[metadata][order_id]"),
        .init(
            name: "expires_at 1 s short of 30 minutes", body: "expires_at=\(now + 1799)", code: nil,
            param: "expires_at"),
        .init(
            name: "expires_at 1 s past 24 hours", body: "expires_at=\(now + 86_401)", code: nil,
            param: "expires_at"),
        .init(
            name: "expires_at not integer", body: "expires_at=soon", code: "parameter_invalid_integer",
            param: "expires_at"),
        .init(name: "bad email", body: "customer_email=nobody", code: "email_invalid", param: "customer_email"),
        .init(
            name: "mixed currencies",
            body:
                "line_items[1][price_data][currency]=eur&line_items[1][price_data][unit_amount]=1&line_items[1][price_data][product_data][name]=X&line_items[1][quantity]=1",
            code: nil, param: "line_items"),
        .init(
            name: "total too large", body: line("price_data][unit_amount", "99999999"), code: "amount_too_large",
            param: nil),
    ]

    /// `valid` with the row's removals and overrides applied.
    static func params(_ row: Row) throws -> [String: FormValue] {
        var p = valid
        for path in row.remove {
            let parts = path.split(separator: ".").map(String.init)
            if parts.count == 1 {
                p[parts[0]] = nil
            } else {
                p[parts[0]] = removing(Array(parts.dropFirst()), from: p[parts[0]]!)
            }
        }
        if row.name == "line_items scalar" { p["line_items"] = "oops" }
        let overrides = try FormDecoder.decode(row.body)
        for (k, v) in overrides { p[k] = merge(p[k], v) }
        return p
    }

    static func removing(_ path: [String], from value: FormValue) -> FormValue {
        guard let head = path.first else { return value }
        switch value {
        case .array(var a):
            let i = Int(head)!
            if path.count == 1 { a.remove(at: i) } else { a[i] = removing(Array(path.dropFirst()), from: a[i]) }
            return .array(a)
        case .dictionary(var d):
            if path.count == 1 { d[head] = nil } else { d[head] = removing(Array(path.dropFirst()), from: d[head]!) }
            return .dictionary(d)
        case .string:
            return value
        }
    }

    static func merge(_ base: FormValue?, _ over: FormValue) -> FormValue {
        switch (base, over) {
        case (.dictionary(var b)?, .dictionary(let o)):
            for (k, v) in o { b[k] = merge(b[k], v) }
            return .dictionary(b)
        case (.array(var b)?, .array(let o)):
            for (i, v) in o.enumerated() {
                if i < b.count { b[i] = merge(b[i], v) } else { b.append(v) }
            }
            return .array(b)
        default:
            return over
        }
    }

    @Test func validRequestPasses() throws {
        let r = try SessionCreateRequest.validate(Self.valid, now: Self.now)
        #expect(r.amountTotal == 2500)
        #expect(r.currency == "usd")
        #expect(r.metadata == ["order_id": "o1"])
        #expect(r.paymentIntentMetadata == ["order_id": "o1"])
        #expect(r.expiresAt == Self.now + 3600)
    }

    @Test func defaultsAndLimitsThatPass() throws {
        var p = Self.valid
        p["expires_at"] = nil
        p["metadata"] = .dictionary(
            Dictionary(uniqueKeysWithValues: (0..<50).map { ("k\($0)", FormValue.string("v")) }))
        p["line_items"] = .array(Array(repeating: Self.valid["line_items"]!.arrayValue![0], count: 100))
        let r = try SessionCreateRequest.validate(p, now: Self.now)
        #expect(r.expiresAt == Self.now + 86_400)
        #expect(r.lineItems.count == 100)
        #expect(r.metadata.count == 50)
        p["line_items"] = .array(Array(repeating: Self.valid["line_items"]!.arrayValue![0], count: 101))
        #expect(throws: StripeAPIError.self) { try SessionCreateRequest.validate(p, now: Self.now) }
    }

    /// The edges of Stripe's rules are accepted: `expires_at` exactly 30 minutes and exactly 24 hours ahead,
    /// each currency's minimum total, the maximum, amounts on the rounding step, upper-case codes.
    @Test(
        arguments: [
            ("usd", 50, 1, Self.now + 1800), ("usd", 99_999_999, 1, Self.now + 86_400), ("gbp", 30, 1, Self.now + 3600),
            ("JPY", 50, 1, Self.now + 3600), ("kwd", 5120, 1, Self.now + 3600), ("isk", 4000, 1, Self.now + 3600),
            ("eur", 0, 3, Self.now + 3600), ("idr", 100_000_000_000, 1, Self.now + 3600),
        ] as [(String, Int64, Int64, Int64)])
    func edgesPass(currency: String, unitAmount: Int64, items: Int64, expiresAt: Int64) throws {
        var p = Self.valid
        var lines: [FormValue] = []
        for i in 0..<items {
            lines.append(
                .dictionary([
                    "price_data": .dictionary([
                        "currency": .string(currency),
                        "unit_amount": .string(String(i == 0 && items > 1 ? 50 : unitAmount)),
                        "product_data": .dictionary(["name": "Mug"]),
                    ]),
                    "quantity": "1",
                ]))
        }
        p["line_items"] = .array(lines)
        p["expires_at"] = .string(String(expiresAt))
        let r = try SessionCreateRequest.validate(p, now: Self.now)
        #expect(r.currency == currency.lowercased())
        #expect(r.expiresAt == expiresAt)
    }

    @Test(arguments: rows)
    func rejects(row: Row) throws {
        let p = try Self.params(row)
        #expect {
            try SessionCreateRequest.validate(p, now: Self.now)
        } throws: { error in
            guard let e = error as? StripeAPIError else { return false }
            return e.status == 400 && e.type == "invalid_request_error" && e.code == row.code && e.param == row.param
        }
    }
}
