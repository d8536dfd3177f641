import HTTPServer
import Testing

@testable import CheckoutAPI

@Suite("JSONBodyPolicy: which media types are JSON")
struct JSONBodyPolicyTests {
    @Test(
        "JSON media types",
        arguments: [
            ("application/json", true), ("application/json; charset=utf-8", true), ("Application/JSON", true),
            ("application/json;charset=UTF-8", true), ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
            ("application/jsonp", false), ("multipart/form-data; boundary=x", false), ("", false),
        ])
    func jsonMediaType(value: String, isJSON: Bool) {
        #expect(JSONBodyPolicy.isJSON(value) == isJSON)
    }
}
