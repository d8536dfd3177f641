import HTTPServer
import Testing

@testable import CheckoutAPI

@Suite("ConstantTime")
struct ConstantTimeTests {
    @Test(
        "constant-time compare is still a compare",
        arguments: [
            ("token", "token", true), ("token", "tokeN", false), ("token", "token2", false), ("", "", true),
            ("", "x", false), ("abc", "", false),
        ])
    func constantTime(a: String, b: String, equal: Bool) {
        #expect(ConstantTime.equals(a.utf8, b.utf8) == equal)
    }
}
