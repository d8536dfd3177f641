/// Formats amounts in minor units for people (notifications), using Stripe's currency exponents.
public enum Money {
    /// Currencies without minor units (Stripe "zero-decimal currencies").
    static let zeroDecimal: Set<String> = [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    ]
    /// Currencies with three decimals (Stripe "three-decimal currencies").
    static let threeDecimal: Set<String> = ["bhd", "jod", "kwd", "omr", "tnd"]

    /// Digits after the decimal point of `currency` (ISO 4217, any case).
    public static func exponent(_ currency: String) -> Int {
        let c = currency.lowercased()
        if zeroDecimal.contains(c) { return 0 }
        if threeDecimal.contains(c) { return 3 }
        return 2
    }

    /// `1250, "eur"` → `12.50 EUR`; `1200, "jpy"` → `1200 JPY`; exact (integer arithmetic, no rounding).
    public static func format(_ minor: Int64, currency: String) -> String {
        let e = exponent(currency)
        let code = currency.uppercased()
        let sign = minor < 0 ? "-" : ""
        let magnitude = minor.magnitude
        guard e > 0 else { return "\(sign)\(magnitude) \(code)" }
        var divisor: UInt64 = 1
        for _ in 0..<e { divisor *= 10 }
        let fraction = String(magnitude % divisor)
        let padded = String(repeating: "0", count: e - fraction.count) + fraction
        return "\(sign)\(magnitude / divisor).\(padded) \(code)"
    }
}
