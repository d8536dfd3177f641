/// Stripe-shaped random identifiers (`cs_test_a1B2…`, `pi_test_…`, `evt_…`, `req_…`).
enum StripeID {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// `prefix` + `length` random base-62 characters from the system CSPRNG.
    static func make(_ prefix: String, length: Int = 24) -> String {
        var rng = SystemRandomNumberGenerator()
        return prefix + String((0..<length).map { _ in alphabet.randomElement(using: &rng)! })
    }
}
