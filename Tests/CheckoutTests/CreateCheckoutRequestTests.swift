import Foundation
import Postgres

@testable import Checkout
import Testing

@Suite("CreateCheckoutRequest validation")
struct CreateCheckoutRequestTests {
    @Test("a full valid request parses")
    func valid() throws {
        let body = #"""
            {"items":[{"productId":"sku_mug","quantity":2},{"productId":"tee.L-1","quantity":999}],
             "customerEmail":"a@b.example","customerId":"cust-1","metadata":{"k":"v","campaign":"x"}}
            """#
        let request = try CreateCheckoutRequest.parse(Array(body.utf8))
        #expect(
            request.items == [.init(productID: "sku_mug", quantity: 2), .init(productID: "tee.L-1", quantity: 999)])
        #expect(request.customerEmail == "a@b.example")
        #expect(request.customerID == "cust-1")
        #expect(request.metadata == ["k": "v", "campaign": "x"])
    }

    @Test("only items is required; null optional fields are absent")
    func minimal() throws {
        let request = try CreateCheckoutRequest.parse(
            Array(#"{"items":[{"productId":"a","quantity":1}],"customerEmail":null,"metadata":null}"#.utf8))
        #expect(request.customerEmail == nil && request.metadata.isEmpty)
    }

    @Test("the canonical text ignores key order and whitespace")
    func canonical() throws {
        let a = try CreateCheckoutRequest.parse(
            Array(#"{"items":[{"productId":"a","quantity":1}],"metadata":{"x":"1","y":"2"}}"#.utf8))
        let b = try CreateCheckoutRequest.parse(
            Array(#"{ "metadata":{"y":"2","x":"1"}, "items":[{"quantity":1,"productId":"a"}] }"#.utf8))
        #expect(a.canonicalText == b.canonicalText)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var body: String
        var code: String
        var field: String?
        var testDescription: String { "\(field ?? code): \(body.prefix(60))" }
    }

    static let longItems = "[" + (0...100).map { #"{"productId":"p\#($0)","quantity":1}"# }.joined(separator: ",") + "]"
    static let manyMetadata = "{" + (0...20).map { #""k\#($0)":"v""# }.joined(separator: ",") + "}"

    static let cases: [Case] = [
        Case(body: "", code: "invalid_json", field: nil),
        Case(body: "{", code: "invalid_json", field: nil),
        Case(body: "[]", code: "invalid_json", field: nil),
        Case(body: "\"items\"", code: "invalid_json", field: nil),
        Case(body: "{}", code: "validation_error", field: "items"),
        Case(body: #"{"items":null}"#, code: "validation_error", field: "items"),
        Case(body: #"{"items":{}}"#, code: "validation_error", field: "items"),
        Case(body: #"{"items":[]}"#, code: "validation_error", field: "items"),
        Case(body: #"{"items":\#(longItems)}"#, code: "validation_error", field: "items"),
        Case(body: #"{"items":[1]}"#, code: "validation_error", field: "items[0]"),
        Case(body: #"{"items":[{"quantity":1}]}"#, code: "validation_error", field: "items[0].productId"),
        Case(body: #"{"items":[{"productId":5,"quantity":1}]}"#, code: "validation_error", field: "items[0].productId"),
        Case(
            body: #"{"items":[{"productId":"","quantity":1}]}"#, code: "validation_error", field: "items[0].productId"),
        Case(
            body: #"{"items":[{"productId":"has space","quantity":1}]}"#, code: "validation_error",
            field: "items[0].productId"),
        Case(
            body: #"{"items":[{"productId":"\#(String(repeating: "a", count: 65))","quantity":1}]}"#,
            code: "validation_error", field: "items[0].productId"),
        Case(
            body:
                #"{"items":[{"productId":"a","quantity":1},{"productId":"b","quantity":1},{"productId":"a","quantity":1}]}"#,
            code: "validation_error", field: "items[2].productId"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1},{"productId":"b","quantity":2.5}]}"#,
            code: "validation_error", field: "items[1].quantity"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":"2"}]}"#, code: "validation_error", field: "items[0].quantity"
        ),
        Case(
            body: #"{"items":[{"productId":"a","quantity":true}]}"#, code: "validation_error",
            field: "items[0].quantity"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":null}]}"#, code: "validation_error",
            field: "items[0].quantity"),
        Case(body: #"{"items":[{"productId":"a"}]}"#, code: "validation_error", field: "items[0].quantity"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":0}]}"#, code: "validation_error", field: "items[0].quantity"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1000}]}"#, code: "validation_error",
            field: "items[0].quantity"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":-1}]}"#, code: "validation_error", field: "items[0].quantity"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1e30}]}"#, code: "validation_error",
            field: "items[0].quantity"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1,"unitAmount":1}]}"#, code: "validation_error",
            field: "items[0].unitAmount"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"amount":1}"#, code: "validation_error", field: "amount"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"no-at"}"#, code: "validation_error",
            field: "customerEmail"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"a@@b"}"#, code: "validation_error",
            field: "customerEmail"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"a b@c"}"#, code: "validation_error",
            field: "customerEmail"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"@c"}"#, code: "validation_error",
            field: "customerEmail"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"a@b"}"#, code: "validation_error",
            field: "customerEmail"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"a@b."}"#, code: "validation_error",
            field: "customerEmail"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"a@.b"}"#, code: "validation_error",
            field: "customerEmail"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"a@b..cd"}"#, code: "validation_error",
            field: "customerEmail"),
        Case(
            body:
                #"{"items":[{"productId":"a","quantity":1}],"customerEmail":"\#(String(repeating: "a", count: 250))@b.cd"}"#,
            code: "validation_error", field: "customerEmail"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerEmail":7}"#, code: "validation_error",
            field: "customerEmail"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerId":""}"#, code: "validation_error",
            field: "customerId"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerId":"\#(String(repeating: "c", count: 201))"}"#,
            code: "validation_error", field: "customerId"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"metadata":[]}"#, code: "validation_error",
            field: "metadata"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"metadata":\#(manyMetadata)}"#, code: "validation_error",
            field: "metadata"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"metadata":{"k":1}}"#, code: "validation_error",
            field: "metadata.k"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"metadata":{"k":true}}"#, code: "validation_error",
            field: "metadata.k"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"metadata":{"k":null}}"#, code: "validation_error",
            field: "metadata.k"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"metadata":{"a[b]":"v"}}"#, code: "validation_error",
            field: "metadata.a[b]"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"metadata":{"":"v"}}"#, code: "validation_error",
            field: "metadata."),
        Case(
            body:
                #"{"items":[{"productId":"a","quantity":1}],"metadata":{"\#(String(repeating: "k", count: 41))":"v"}}"#,
            code: "validation_error", field: "metadata." + String(repeating: "k", count: 41)),
        Case(
            body:
                #"{"items":[{"productId":"a","quantity":1}],"metadata":{"k":"\#(String(repeating: "v", count: 501))"}}"#,
            code: "validation_error", field: "metadata.k"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"customerId":"a\u0000b"}"#, code: "validation_error",
            field: "customerId"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"metadata":{"k":"a\u0000b"}}"#,
            code: "validation_error", field: "metadata.k"),
        Case(
            body: #"{"items":[{"productId":"a","quantity":1}],"metadata":{"k\nx":"v"}}"#,
            code: "validation_error", field: "metadata.k\nx"),
    ]

    @Test("every validation error names its field", arguments: cases)
    func invalid(_ testCase: Case) {
        #expect {
            _ = try CreateCheckoutRequest.parse(Array(testCase.body.utf8))
        } throws: { error in
            guard let error = error as? CheckoutError else { return false }
            return error.code == testCase.code && error.field == testCase.field
        }
    }

    @Test("limits are inclusive: 100 items, 20 metadata pairs, 40-char keys, 500-char values, 254-char email")
    func limits() throws {
        let items = "[" + (0..<100).map { #"{"productId":"p\#($0)","quantity":999}"# }.joined(separator: ",") + "]"
        let metadata =
            "{"
            + (0..<20).map {
                #""\#(String(repeating: "k", count: 38))\#($0 < 10 ? "0" : "")\#($0)":"\#(String(repeating: "v", count: 500))""#
            }.joined(separator: ",") + "}"
        let email = String(repeating: "a", count: 242) + "@example.com"
        let body =
            #"{"items":\#(items),"metadata":\#(metadata),"customerEmail":"\#(email)","customerId":"\#(String(repeating: "c", count: 200))"}"#
        let request = try CreateCheckoutRequest.parse(Array(body.utf8))
        #expect(request.items.count == 100 && request.metadata.count == 20 && email.count == 254)
    }
}

@Suite("CheckoutError classification")
struct CheckoutErrorTests {
    @Test(
        "Postgres trouble is 503 database_unavailable only when the database is unreachable or busy",
        arguments: [
            (PostgresError.Kind.connectFailed, "database_unavailable"), (.connectionLost, "database_unavailable"),
            (.poolTimeout, "database_unavailable"), (.serializationFailure, "database_unavailable"),
            (.deadlockDetected, "database_unavailable"), (.uniqueViolation, "internal_error"),
            (.checkViolation, "internal_error"), (.decoding, "internal_error"), (.other, "internal_error"),
        ])
    func classification(kind: PostgresError.Kind, code: String) {
        let wrapped = CheckoutError.wrapping(PostgresError(kind, description: "secret SQL detail"))
        #expect(wrapped.code == code)
        #expect(!wrapped.message.contains("secret"), "details never reach the client message")
    }

    @Test("domain errors pass through; codes are stable snake_case")
    func passThrough() {
        #expect(CheckoutError.wrapping(CheckoutError.orderNotFound) == .orderNotFound)
        let all: [CheckoutError] = [
            .validation(field: "f", message: "m"), .invalidJSON("x"), .productUnavailable(productID: "p"),
            .currencyMismatch, .outOfStock(productID: "p"), .idempotencyKeyReused,
            .stripeRejected(orderID: nil, detail: "d"), .stripeUnavailable(orderID: nil, detail: "d"), .orderNotFound,
            .orderNotRetryable(status: .paid), .orderAlreadyPaid(orderID: UUID()),
            .fulfillmentNotRetryable(status: .pending), .database(detail: "d"),
            .internalFailure(detail: "d"),
        ]
        for error in all {
            #expect(error.code.range(of: "^[a-z]+(_[a-z]+)*$", options: .regularExpression) != nil)
            #expect(!error.message.isEmpty)
        }
        #expect(Set(all.map(\.code)).count == all.count)
    }
}
