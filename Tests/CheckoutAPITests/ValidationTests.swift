import Foundation
import Testing
import TestSupport

/// Every validation error of create-checkout-session names its field (docs/API.md §2), over the real server.
@Suite("Validation over HTTP")
struct ValidationTests {
    /// (label, JSON body, expected `error.field`).
    static let cases: [(String, String, String)] = [
        ("items missing", #"{}"#, "items"),
        ("items null", #"{"items":null}"#, "items"),
        ("items not an array", #"{"items":{}}"#, "items"),
        ("items empty", #"{"items":[]}"#, "items"),
        ("item not an object", #"{"items":[1]}"#, "items[0]"),
        ("productId missing", #"{"items":[{"quantity":1}]}"#, "items[0].productId"),
        ("productId not a string", #"{"items":[{"productId":5,"quantity":1}]}"#, "items[0].productId"),
        ("productId bad chars", #"{"items":[{"productId":"a b","quantity":1}]}"#, "items[0].productId"),
        (
            "productId too long", #"{"items":[{"productId":"\#(String(repeating: "a", count: 65))","quantity":1}]}"#,
            "items[0].productId"
        ),
        (
            "productId twice", #"{"items":[{"productId":"a","quantity":1},{"productId":"a","quantity":2}]}"#,
            "items[1].productId"
        ),
        ("quantity missing", #"{"items":[{"productId":"a"}]}"#, "items[0].quantity"),
        ("quantity zero", #"{"items":[{"productId":"a","quantity":0}]}"#, "items[0].quantity"),
        ("quantity 1000", #"{"items":[{"productId":"a","quantity":1000}]}"#, "items[0].quantity"),
        ("quantity fraction", #"{"items":[{"productId":"a","quantity":1.5}]}"#, "items[0].quantity"),
        ("quantity string", #"{"items":[{"productId":"a","quantity":"1"}]}"#, "items[0].quantity"),
        ("quantity bool", #"{"items":[{"productId":"a","quantity":true}]}"#, "items[0].quantity"),
        (
            "second item bad", #"{"items":[{"productId":"a","quantity":1},{"productId":"b","quantity":-1}]}"#,
            "items[1].quantity"
        ),
        ("item price", #"{"items":[{"productId":"a","quantity":1,"unitAmount":1}]}"#, "items[0].unitAmount"),
        ("unknown top-level", #"{"items":[{"productId":"a","quantity":1}],"total":1}"#, "total"),
        ("email invalid", #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"nope"}"#, "customerEmail"),
        ("email not a string", #"{"items":[{"productId":"a","quantity":1}],"customerEmail":1}"#, "customerEmail"),
        ("customerId empty", #"{"items":[{"productId":"a","quantity":1}],"customerId":""}"#, "customerId"),
        ("metadata not object", #"{"items":[{"productId":"a","quantity":1}],"metadata":[]}"#, "metadata"),
        ("metadata value number", #"{"items":[{"productId":"a","quantity":1}],"metadata":{"k":1}}"#, "metadata.k"),
        (
            "metadata key too long",
            #"{"items":[{"productId":"a","quantity":1}],"metadata":{"\#(String(repeating: "k", count: 41))":"v"}}"#,
            "metadata.\(String(repeating: "k", count: 41))"
        ),
        (
            "metadata value too long",
            #"{"items":[{"productId":"a","quantity":1}],"metadata":{"k":"\#(String(repeating: "v", count: 501))"}}"#,
            "metadata.k"
        ),
        (
            "metadata 21 pairs",
            #"{"items":[{"productId":"a","quantity":1}],"metadata":{\#((0..<21).map { "\"k\($0)\":\"v\"" }.joined(separator: ","))}}"#,
            "metadata"
        ),
        // Limits count Unicode scalars (or bytes for the email), not grapheme clusters: one "a" followed by
        // 50,000 combining accents is one character but ~100 KB.
        (
            "customerId of combining marks",
            #"{"items":[{"productId":"a","quantity":1}],"customerId":"a\#(String(repeating: "\u{301}", count: 50000))"}"#,
            "customerId"
        ),
        (
            "metadata value of combining marks",
            #"{"items":[{"productId":"a","quantity":1}],"metadata":{"k":"a\#(String(repeating: "\u{301}", count: 50000))"}}"#,
            "metadata.k"
        ),
        (
            "metadata key of combining marks",
            #"{"items":[{"productId":"a","quantity":1}],"metadata":{"k\#(String(repeating: "\u{301}", count: 40))":"v"}}"#,
            "metadata.k\(String(repeating: "\u{301}", count: 40))"
        ),
        (
            "customerEmail of combining marks",
            #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"a\#(String(repeating: "\u{301}", count: 50000))@example.com"}"#,
            "customerEmail"
        ),
        (
            "customerEmail over 254 bytes",
            #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"\#(String(repeating: "é", count: 124))@example.com"}"#,
            "customerEmail"
        ),
        (
            "101 items",
            #"{"items":[\#((0..<101).map { "{\"productId\":\"p\($0)\",\"quantity\":1}" }.joined(separator: ","))]}"#,
            "items"
        ),
    ]

    @Test("400 validation_error with the field at fault", arguments: cases)
    func namesField(label: String, body: String, field: String) throws {
        let h = try Self.shared()
        let r = try h.request(
            "POST", "/api/payments/create-checkout-session", headers: [("Content-Type", "application/json")],
            body: Array(body.utf8))
        #expect(r.status == 400, "\(label): \(r.text)")
        #expect(r.errorCode == "validation_error", "\(label)")
        #expect(r.errorField == field, "\(label): \(r.text)")
        #expect(try r.json()["requestId"] as? String == r.header("X-Request-Id"))
    }

    @Test(
        "bodies that are not JSON objects are 400 invalid_json",
        arguments: ["", "{", "[]", "\"x\"", "null", "{\"items\":[}", "\u{FEFF}{}x"])
    func invalidJSON(body: String) throws {
        let h = try Self.shared()
        let r = try h.request(
            "POST", "/api/payments/create-checkout-session", headers: [("Content-Type", "application/json")],
            body: Array(body.utf8))
        #expect(r.status == 400)
        #expect(r.errorCode == "invalid_json", "\(body): \(r.text)")
    }

    @Test(
        "non-JSON media types are 415 unsupported_media_type",
        arguments: [nil, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
    func mediaType(contentType: String?) throws {
        let h = try Self.shared()
        let headers = contentType.map { [("Content-Type", $0)] } ?? []
        let r = try h.request(
            "POST", "/api/payments/create-checkout-session", headers: headers,
            body: Array(#"{"items":[{"productId":"a","quantity":1}]}"#.utf8))
        #expect(r.status == 415)
        #expect(r.errorCode == "unsupported_media_type")
    }

    @Test("unknown and inactive products are 422 product_unavailable; mixed currencies 422 currency_mismatch")
    func catalogErrors() throws {
        let h = try Self.shared()
        let unknown = try h.json(
            "POST", "/api/payments/create-checkout-session", ["items": [["productId": "nope", "quantity": 1]]])
        #expect(unknown.status == 422)
        #expect(unknown.errorCode == "product_unavailable")
        let inactive = try h.json(
            "POST", "/api/payments/create-checkout-session", ["items": [["productId": "v_off", "quantity": 1]]])
        #expect(inactive.errorCode == "product_unavailable")
        let mixed = try h.json(
            "POST", "/api/payments/create-checkout-session",
            ["items": [["productId": "v_eur", "quantity": 1], ["productId": "v_usd", "quantity": 1]]])
        #expect(mixed.status == 422)
        #expect(mixed.errorCode == "currency_mismatch")
        #expect(try h.request("GET", "/api/products").json()["products"].map { ($0 as? [[String: Any]])?.count } == 6)
    }

    /// (label, cart as (productId, quantity), expected `error.field`) for carts Stripe would refuse.
    static let stripeAmountCases: [(String, [(String, Int)], String)] = [
        // 700 × $1,500.00 = $1,050,000.00 > Stripe's $999,999.99 maximum for USD.
        ("line above Stripe's maximum", [("v_big", 700)], "items[0].quantity"),
        ("second line above the maximum", [("v_usd", 1), ("v_big", 667)], "items[1].quantity"),
        // Each line is under the maximum, the session total is not.
        ("total above Stripe's maximum", [("v_big", 600), ("v_big2", 600)], "items"),
        ("total below USD's 50-cent minimum", [("v_cheap", 1)], "items"),
        ("total below JPY's ¥50 minimum", [("v_yen", 1)], "items"),
    ]

    @Test(
        "a cart Stripe would refuse is 400 validation_error naming the field, and nothing is written",
        arguments: stripeAmountCases)
    func stripeAmountRules(label: String, cart: [(String, Int)], field: String) throws {
        let h = try Self.shared()
        let r = try h.json(
            "POST", "/api/payments/create-checkout-session",
            ["items": cart.map { ["productId": $0.0, "quantity": $0.1] }])
        #expect(r.status == 400, "\(label): \(r.text)")
        #expect(r.errorCode == "validation_error", "\(label)")
        #expect(r.errorField == field, "\(label): \(r.text)")
        let orders = try h.database.pool(max: 1).withConnection {
            try $0.query("SELECT count(*)::bigint AS n FROM orders").first?.decode("n", as: Int64.self)
        }
        #expect(orders == 0, "\(label): an order was written")
    }

    /// One server for the whole suite (these tests only read), with a tiny catalog.
    static func shared() throws -> AppHarness {
        try sharedHarness.get()
    }

    private static let sharedHarness: Result<AppHarness, any Error> = Result {
        let h = try AppHarness.start()
        let catalog: [(String, String, Bool, Int)] = [
            ("v_eur", "eur", true, 100), ("v_usd", "usd", true, 100), ("v_off", "eur", false, 100),
            ("v_big", "usd", true, 150_000), ("v_big2", "usd", true, 150_000),
            ("v_cheap", "usd", true, 30), ("v_yen", "jpy", true, 40),
        ]
        for (id, currency, active, amount) in catalog {
            let r = try h.admin(
                "PUT", "/api/admin/products/\(id)",
                json: ["title": id, "unitAmount": amount, "currency": currency, "active": active])
            guard r.status == 200 else { throw StackError("seed \(id): \(r.text)") }
        }
        return h
    }
}
