/// Stripe's money rules for one presentment currency: how many decimals the API counts, the smallest and
/// largest amount it charges, and which amounts it refuses to round. One table for the product (cart and
/// admin validation) and for stripe-sim (which refuses what Stripe refuses).
///
/// Sources (Stripe's public documentation, read 2026-12):
/// - supported presentment currencies: https://docs.stripe.com/currencies#presentment-currencies
/// - zero-decimal currencies: https://docs.stripe.com/currencies#zero-decimal
/// - three-decimal currencies (API amounts must end in 0): https://docs.stripe.com/currencies#three-decimal
/// - ISK and UGX (two decimals in the API, whole units only): https://docs.stripe.com/currencies#special-cases
///   and https://support.stripe.com/questions/deprecation-of-fractional-isk-charges-and-refunds
/// - minimum and maximum charge amounts: https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
///
/// Every amount here is an integer in the currency's API minor unit (1250 USD = $12.50, 800 JPY = ¥800,
/// 5120 KWD = 5.120 KWD, 50000 ISK = 500 kr).
public struct StripeCurrency: Sendable, Hashable, CustomStringConvertible {
    /// The lowercase ISO 4217 code Stripe uses (`usd`).
    public let code: String
    /// Digits after the decimal point in API amounts: 0 (zero-decimal), 2, or 3 (three-decimal).
    public let exponent: Int
    /// Every charged amount must be a multiple of this: 10 for three-decimal currencies (card networks take
    /// only two of the three decimals), 100 for ISK and UGX (whole units, still sent with two decimals), else 1.
    public let amountStep: Int64
    /// Stripe's published minimum charge, or nil where Stripe publishes none for this currency: then the
    /// charge must reach the minimum of the account's settlement currency after conversion, which needs an
    /// exchange rate and so cannot be decided from the amount alone.
    public let minimumAmount: Int64?
    /// The largest amount Stripe accepts: eight digits for most currencies, more for a few.
    public let maximumAmount: Int64

    public var description: String { code }

    /// 10^exponent: how many API units make one major unit.
    public var minorUnitsPerMajor: Int64 {
        var n: Int64 = 1
        for _ in 0..<exponent { n *= 10 }
        return n
    }

    /// The currency for a code in any case (`"USD"`, `"usd"`), or nil when Stripe does not present in it.
    public init?(_ code: String) {
        let c = code.lowercased()
        guard c.utf8.count == 3, Self.supportedCodes.contains(c) else { return nil }
        self.code = c
        if Self.zeroDecimalCodes.contains(c) {
            exponent = 0
            amountStep = 1
        } else if Self.threeDecimalCodes.contains(c) {
            exponent = 3
            amountStep = 10
        } else {
            exponent = 2
            amountStep = Self.wholeUnitTwoDecimalCodes.contains(c) ? 100 : 1
        }
        minimumAmount = Self.minimums[c]
        maximumAmount = Self.maximums[c] ?? Self.defaultMaximum
    }

    /// Why Stripe refuses an amount, with the error code Stripe answers for it
    /// (https://docs.stripe.com/error-codes).
    public enum AmountRefusal: Sendable, Hashable {
        /// Below the currency's minimum charge (or not positive).
        case tooSmall(minimum: Int64)
        /// Above the currency's maximum.
        case tooLarge(maximum: Int64)
        /// Not a multiple of `amountStep` (three-decimal currencies, ISK, UGX).
        case notAMultiple(of: Int64)

        /// Stripe's `code` for the refusal: `amount_too_small`, `amount_too_large`, or, for an amount the
        /// card networks cannot carry, `invalid_charge_amount_no_decimal_compatible` (ISK, UGX) /
        /// `invalid_charge_amount` (three-decimal currencies).
        public func stripeCode(for currency: StripeCurrency) -> String {
            switch self {
            case .tooSmall: return "amount_too_small"
            case .tooLarge: return "amount_too_large"
            case .notAMultiple:
                return currency.exponent == 3 ? "invalid_charge_amount" : "invalid_charge_amount_no_decimal_compatible"
            }
        }
    }

    /// Checks a charge total (the sum a customer pays) against Stripe's rules; nil when Stripe accepts it.
    /// Where Stripe publishes no minimum, only "at least one step" is checked (see `minimumAmount`).
    public func refusal(forTotal amount: Int64) -> AmountRefusal? {
        let minimum = minimumAmount ?? amountStep
        if amount < minimum { return .tooSmall(minimum: minimum) }
        if amount > maximumAmount { return .tooLarge(maximum: maximumAmount) }
        if amount % amountStep != 0 { return .notAMultiple(of: amountStep) }
        return nil
    }

    /// Rounds to the nearest amount Stripe can charge (half away from zero), as Stripe asks integrations to
    /// do for three-decimal currencies ("5.124 KWD must be rounded to 5120 or 5130").
    public func roundedToChargeable(_ amount: Int64) -> Int64 {
        guard amountStep > 1 else { return amount }
        let r = amount % amountStep
        let down = amount - r
        if r == 0 { return amount }
        if amount > 0 { return 2 * r >= amountStep ? down + amountStep : down }
        return -2 * r >= amountStep ? down - amountStep : down
    }

    /// The amount in major units as text, e.g. `12.50`, `800`, `5.120`, for messages.
    public func formatted(_ amount: Int64) -> String {
        guard exponent > 0 else { return String(amount) }
        let m = minorUnitsPerMajor
        let sign = amount < 0 ? "-" : ""
        let magnitude = amount.magnitude
        let whole = magnitude / UInt64(m)
        let fraction = String(magnitude % UInt64(m))
        return sign + String(whole) + "." + String(repeating: "0", count: exponent - fraction.count) + fraction
    }

    // MARK: - The tables

    /// Stripe's presentment currencies (https://docs.stripe.com/currencies#presentment-currencies).
    public static let supportedCodes: Set<String> = [
        "usd", "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt", "bgn",
        "bhd", "bif", "bmd", "bnd", "bob", "brl", "bsd", "bwp", "byn", "bzd", "cad", "cdf", "chf", "clp", "cny",
        "cop", "crc", "cve", "czk", "djf", "dkk", "dop", "dzd", "egp", "etb", "eur", "fjd", "fkp", "gbp", "gel",
        "gip", "gmd", "gnf", "gtq", "gyd", "hkd", "hnl", "htg", "huf", "idr", "ils", "inr", "isk", "jmd", "jod",
        "jpy", "kes", "kgs", "khr", "kmf", "krw", "kwd", "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "mad",
        "mdl", "mga", "mkd", "mmk", "mnt", "mop", "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio",
        "nok", "npr", "nzd", "omr", "pab", "pen", "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub",
        "rwf", "sar", "sbd", "scr", "sek", "sgd", "shp", "sle", "sos", "srd", "std", "szl", "thb", "tjs", "tnd",
        "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "uyu", "uzs", "vnd", "vuv", "wst", "xaf", "xcd", "xcg",
        "xof", "xpf", "yer", "zar", "zmw",
    ]

    /// No minor unit: the amount is in whole units (https://docs.stripe.com/currencies#zero-decimal).
    public static let zeroDecimalCodes: Set<String> = [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "vnd", "vuv", "xaf", "xof", "xpf",
    ]

    /// Three decimals in the API; the last digit must be 0 (https://docs.stripe.com/currencies#three-decimal).
    public static let threeDecimalCodes: Set<String> = ["bhd", "jod", "kwd", "omr", "tnd"]

    /// Whole units only, but sent with two decimals for backwards compatibility, so amounts are multiples of
    /// 100 (https://docs.stripe.com/currencies#special-cases).
    public static let wholeUnitTwoDecimalCodes: Set<String> = ["isk", "ugx"]

    /// Minimum charge amounts in API units (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
    public static let minimums: [String: Int64] = [
        "usd": 50, "aed": 200, "ars": 50, "aud": 50, "brl": 50, "cad": 50, "chf": 50, "cop": 50, "czk": 1500,
        "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "idr": 50, "ils": 50, "inr": 50, "jpy": 50,
        "krw": 50, "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "php": 50, "pln": 200, "ron": 200, "rub": 50,
        "sek": 300, "sgd": 50, "thb": 1000, "zar": 50,
    ]

    /// "The amount value supports up to eight digits" (a USD charge of $999,999.99).
    public static let defaultMaximum: Int64 = 99_999_999

    /// The currencies Stripe lets go past eight digits
    /// (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
    public static let maximums: [String: Int64] = [
        "idr": 999_999_999_999, "cop": 9_999_999_999, "inr": 999_999_999,
    ]
}
