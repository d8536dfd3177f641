import Testing

@testable import Checkout

@Suite("Public responses mask the customer's email")
struct EmailMaskTests {
    @Test(
        "mask rules",
        arguments: [
            ("jane@example.com", "j***@e***.com"), ("a@b.example", "a***@b***.example"),
            ("jane.doe+shop@mail.example.co.uk", "j***@m***.uk"), ("élodie@exemple.fr", "é***@e***.fr"),
            ("x@localhost", "x***@***"), ("no-at-sign", "***"), ("@example.com", "***"),
        ])
    func rules(email: String, masked: String) {
        #expect(PublicOrder.maskEmail(email) == masked)
        #expect(!masked.contains(email))
    }
}
