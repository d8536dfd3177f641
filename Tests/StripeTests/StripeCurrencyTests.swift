import Stripe
import Testing

@Suite("Stripe currency rules")
struct StripeCurrencyTests {
    @Test(
        arguments: [
            // code, exponent, step, minimum, maximum
            ("usd", 2, 1, 50, 99_999_999),
            ("USD", 2, 1, 50, 99_999_999),
            ("eur", 2, 1, 50, 99_999_999),
            ("gbp", 2, 1, 30, 99_999_999),
            ("huf", 2, 1, 17_500, 99_999_999),
            ("jpy", 0, 1, 50, 99_999_999),
            ("krw", 0, 1, 50, 99_999_999),
            ("clp", 0, 1, nil, 99_999_999),
            ("kwd", 3, 10, nil, 99_999_999),
            ("bhd", 3, 10, nil, 99_999_999),
            ("isk", 2, 100, nil, 99_999_999),
            ("ugx", 2, 100, nil, 99_999_999),
            ("idr", 2, 1, 50, 999_999_999_999),
            ("inr", 2, 1, 50, 999_999_999),
            ("mxn", 2, 1, 1000, 99_999_999),
        ] as [(String, Int, Int64, Int64?, Int64)])
    func table(code: String, exponent: Int, step: Int64, minimum: Int64?, maximum: Int64) throws {
        let c = try #require(StripeCurrency(code))
        #expect(c.code == code.lowercased())
        #expect(c.exponent == exponent)
        #expect(c.amountStep == step)
        #expect(c.minimumAmount == minimum)
        #expect(c.maximumAmount == maximum)
    }

    @Test(arguments: ["zzz", "", "us", "usdd", "xxx", "hrk", "u$d", "ｕｓｄ"])
    func unsupportedCodesAreRefused(code: String) {
        #expect(StripeCurrency(code) == nil)
    }

    @Test func tablesAreConsistent() {
        let s = StripeCurrency.supportedCodes
        #expect(s.count >= 135)
        #expect(StripeCurrency.zeroDecimalCodes.isSubset(of: s))
        #expect(StripeCurrency.threeDecimalCodes.isSubset(of: s))
        #expect(StripeCurrency.wholeUnitTwoDecimalCodes.isSubset(of: s))
        #expect(Set(StripeCurrency.minimums.keys).isSubset(of: s))
        #expect(Set(StripeCurrency.maximums.keys).isSubset(of: s))
        #expect(StripeCurrency.zeroDecimalCodes.isDisjoint(with: StripeCurrency.threeDecimalCodes))
        #expect(StripeCurrency.zeroDecimalCodes.isDisjoint(with: StripeCurrency.wholeUnitTwoDecimalCodes))
        for code in s {
            #expect(code.utf8.count == 3 && code.utf8.allSatisfy { $0 >= 97 && $0 <= 122 }, "\(code)")
        }
    }

    @Test(
        arguments: [
            ("usd", 49, StripeCurrency.AmountRefusal.tooSmall(minimum: 50), "amount_too_small"),
            ("usd", 1, .tooSmall(minimum: 50), "amount_too_small"),
            ("usd", 0, .tooSmall(minimum: 50), "amount_too_small"),
            ("usd", -50, .tooSmall(minimum: 50), "amount_too_small"),
            ("gbp", 29, .tooSmall(minimum: 30), "amount_too_small"),
            ("jpy", 49, .tooSmall(minimum: 50), "amount_too_small"),
            ("clp", 0, .tooSmall(minimum: 1), "amount_too_small"),
            ("usd", 100_000_000, .tooLarge(maximum: 99_999_999), "amount_too_large"),
            ("idr", 1_000_000_000_000, .tooLarge(maximum: 999_999_999_999), "amount_too_large"),
            ("kwd", 5124, .notAMultiple(of: 10), "invalid_charge_amount"),
            ("isk", 4010, .notAMultiple(of: 100), "invalid_charge_amount_no_decimal_compatible"),
            ("ugx", 150, .notAMultiple(of: 100), "invalid_charge_amount_no_decimal_compatible"),
            ("isk", 99, .tooSmall(minimum: 100), "amount_too_small"),
        ] as [(String, Int64, StripeCurrency.AmountRefusal, String)])
    func refusals(code: String, amount: Int64, refusal: StripeCurrency.AmountRefusal, stripeCode: String) throws {
        let c = try #require(StripeCurrency(code))
        #expect(c.refusal(forTotal: amount) == refusal)
        #expect(refusal.stripeCode(for: c) == stripeCode)
    }

    @Test(
        arguments: [
            ("usd", 50), ("usd", 99_999_999), ("gbp", 30), ("jpy", 50), ("clp", 1), ("kwd", 5120), ("isk", 4000),
            ("idr", 100_000_000_000), ("huf", 17_500),
        ] as [(String, Int64)])
    func accepted(code: String, amount: Int64) throws {
        #expect(try #require(StripeCurrency(code)).refusal(forTotal: amount) == nil)
    }

    @Test(
        arguments: [
            ("kwd", 5124, 5120), ("kwd", 5125, 5130), ("kwd", 5120, 5120), ("kwd", -5125, -5130), ("kwd", -5124, -5120),
            ("isk", 4049, 4000), ("isk", 4050, 4100), ("usd", 1234, 1234), ("jpy", 7, 7),
        ] as [(String, Int64, Int64)])
    func rounding(code: String, amount: Int64, rounded: Int64) throws {
        let c = try #require(StripeCurrency(code))
        #expect(c.roundedToChargeable(amount) == rounded)
        #expect(c.roundedToChargeable(rounded) == rounded)
    }

    @Test(
        arguments: [
            ("usd", 1250, "12.50"), ("usd", 5, "0.05"), ("usd", 0, "0.00"), ("usd", -1250, "-12.50"),
            ("jpy", 800, "800"),
            ("kwd", 5120, "5.120"), ("isk", 50_000, "500.00"), ("huf", 17_500, "175.00"),
        ] as [(String, Int64, String)])
    func formatting(code: String, amount: Int64, text: String) throws {
        let c = try #require(StripeCurrency(code))
        #expect(c.formatted(amount) == text)
        #expect(c.minorUnitsPerMajor == [0: 1, 2: 100, 3: 1000][c.exponent])
    }
}
