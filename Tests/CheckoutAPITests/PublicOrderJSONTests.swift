import Foundation
import HTTPServer
import Testing

@testable import CheckoutAPI
@testable import Checkout

/// The hand-written JSON of the hottest response is what `JSONEncoder` makes of the same value (as parsed
/// JSON: Foundation's encoder on Linux does not keep key order, ours writes the `CodingKeys` order), so a
/// field added to `PublicOrder` (and its `Encodable` conformance) cannot be silently dropped from
/// `GET /api/orders/by-session/:id`; strings are escaped byte-for-byte as `JSONEncoder` does.
@Suite struct PublicOrderJSONTests {
    static let awkward = [
        "", "plain", "quote \" and backslash \\ and slash /", "tab\tnewline\nreturn\rbackspace\u{08}formfeed\u{0C}",
        "controls \u{00}\u{01}\u{1F}\u{7F}", "non-ASCII: é ü 日本 😀 \u{2028}\u{2029} \u{FEFF}",
    ]

    static func order(_ n: Int) -> PublicOrder {
        let text = awkward[n % awkward.count]
        let state = OrderState(
            status: OrderStatus.allCases[n % OrderStatus.allCases.count],
            paymentStatus: PaymentStatus.allCases[n % PaymentStatus.allCases.count],
            fulfillmentStatus: FulfillmentStatus.allCases[n % FulfillmentStatus.allCases.count],
            currentSessionID: n % 3 == 0 ? nil : "cs_test_\(n)_\(text)", amountTotal: [0, 1, 1500, Int64.max][n % 4],
            failureReason: n % 2 == 0 ? nil : text)
        let record = OrderRecord(
            id: UUID(), orderNumber: "DO-\(n)\(text)", state: state, currency: "usd",
            customerEmail: n % 4 == 1 ? nil : "buyer\(n)+\(text)@example.com", customerID: nil, metadata: [:],
            sessionCheckedAt: nil, createdAt: Date(timeIntervalSince1970: 1_700_000_000.123 + Double(n)),
            updatedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(n) / 7))
        let items = (0..<(n % 4)).map { i in
            OrderItemRecord(
                lineNo: i, productID: "sku_\(i)\(text)", title: "Title \(i) \(text)",
                unitAmount: [1, 999, Int64(Int32.max) + 1][i % 3], quantity: i + 1,
                amountTotal: [1, 999, Int64(Int32.max) + 1][i % 3] * Int64(i + 1))
        }
        return PublicOrder(record, items: items)
    }

    static func encoded<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// `json` parsed and written again with sorted keys: equal for equal JSON values whatever the key order.
    static func canonical(_ json: [UInt8]) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(json), options: [.fragmentsAllowed])
        let data = try JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    @Test(arguments: 0..<24)
    func writtenBytesEqualJSONEncoder(_ n: Int) throws {
        let order = Self.order(n)
        let response = HTTPResponse.json(order)
        #expect(try Self.canonical(response.body) == (try Self.canonical(try Self.encoded(order))))
        // Keys in the declared order (the documented shape), whatever order Foundation would pick.
        let written = String(decoding: response.body, as: UTF8.self)
        let keys = [
            "id", "orderNumber", "status", "paymentStatus", "fulfillmentStatus", "currency", "amountTotal", "items",
            "customerEmail", "checkoutSessionId", "failureReason", "createdAt", "updatedAt",
        ].map { "\"\($0)\":" }
        let positions = keys.compactMap { written.range(of: $0)?.lowerBound }
        #expect(positions.count == keys.count && positions == positions.sorted())
        #expect(response.headers["Content-Type"] == "application/json")
    }

    @Test func customerEmailRemovedForTheByIDRouteIsNull() throws {
        var order = Self.order(2)
        order.customerEmail = nil
        #expect(try Self.canonical(HTTPResponse.json(order).body) == (try Self.canonical(try Self.encoded(order))))
        #expect(String(decoding: HTTPResponse.json(order).body, as: UTF8.self).contains(#""customerEmail":null"#))
    }

    @Test func everyStoredPropertyIsWritten() throws {
        let order = Self.order(5)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(HTTPResponse.json(order).body)) as? [String: Any])
        let properties = Set(Mirror(reflecting: order).children.compactMap(\.label))
        #expect(Set(object.keys) == properties)
        let item = try #require(order.items.first)
        let itemObject = try #require((object["items"] as? [[String: Any]])?.first)
        #expect(Set(itemObject.keys) == Set(Mirror(reflecting: item).children.compactMap(\.label)))
    }
}

@Suite struct JSONWriterTests {
    @Test(arguments: PublicOrderJSONTests.awkward + ["", "\u{08}\u{0C}\u{0B}\u{1B}", "a/b\\c\"d"])
    func stringsAreEscapedExactlyAsJSONEncoder(_ value: String) throws {
        var json = JSONWriter()
        json.array([value, value]) { json, s in json.string(s) }
        #expect(
            String(decoding: json.bytes, as: UTF8.self)
                == String(decoding: try PublicOrderJSONTests.encoded([value, value]), as: UTF8.self))
    }

    @Test(arguments: [Int64.min, -1, 0, 7, 10, 1_234_567_890, Int64.max])
    func integersMatchJSONEncoder(_ value: Int64) throws {
        var json = JSONWriter()
        json.integer(value)
        #expect(json.bytes == Array(try JSONEncoder().encode(value)))
    }

    @Test func nestedContainersGetCommasOnlyBetweenValues() {
        var json = JSONWriter()
        json.object { json in
            json.key("a")
            json.array([1, 2, 3]) { json, n in json.integer(n) }
            json.key("b")
            json.object { _ in }
            json.key("c")
            json.array([Int]()) { json, n in json.integer(n) }
            json.key("d")
            json.string(nil as String?)
            json.key("e")
            json.bool(false)
        }
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"a":[1,2,3],"b":{},"c":[],"d":null,"e":false}"#)
    }
}
