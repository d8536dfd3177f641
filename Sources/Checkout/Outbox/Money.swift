import Stripe

/// Formats amounts in minor units for people (notifications), with the exponent Stripe counts for the
/// currency (``StripeCurrency``, the one table of Stripe's currency rules).
public enum Money {
    /// Digits after the decimal point of `currency` (any case); 2 for a code Stripe does not list.
    public static func exponent(_ currency: String) -> Int {
        StripeCurrency(currency)?.exponent ?? 2
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
