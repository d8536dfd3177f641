import Foundation
import Stripe
import TestSupport
import Testing

/// One entry of `Tests/Fixtures/stripe/signatures/vectors.json`.
struct SignatureVector: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var secret: String?
    var secrets_each_valid: [String]?
    var invalid_secret: String?
    var body: String?
    var body_file: String?
    var header: String
    var accept_at: Int64
    var reject_at_tolerance_300: Int64?

    var testDescription: String { name }

    var payload: [UInt8] {
        if let body { return Array(body.utf8) }
        let url = TestEnvironment.stripeFixture("signatures/" + body_file!)
        return [UInt8](try! Data(contentsOf: url))
    }

    static let all: [SignatureVector] = {
        let data = try! Data(contentsOf: TestEnvironment.stripeFixture("signatures/vectors.json"))
        return try! JSONDecoder().decode([SignatureVector].self, from: data)
    }()
}

@Suite("Webhook signatures")
struct WebhookVerifierTests {
    static func verifier(_ secrets: [String], at now: Int64, tolerance: Int = 300) -> WebhookVerifier {
        WebhookVerifier(secrets: secrets, tolerance: tolerance, now: { now })
    }

    @Test func fixturesArePresent() {
        #expect(SignatureVector.all.count == 3)
        #expect(SignatureVector.all[0].payload.count == 484)
    }

    @Test(arguments: SignatureVector.all)
    func publishedVectorVerifies(vector: SignatureVector) throws {
        let secrets = vector.secrets_each_valid ?? [vector.secret!]
        for secret in secrets {
            let t = try Self.verifier([secret], at: vector.accept_at).verify(
                payload: vector.payload, header: vector.header)
            #expect(t <= vector.accept_at)
        }
    }

    @Test(arguments: SignatureVector.all)
    func publishedVectorRejectsAlteredBody(vector: SignatureVector) {
        let secret = vector.secrets_each_valid?.first ?? vector.secret!
        var body = vector.payload
        body.removeLast()  // the final newline (or brace): byte-exactness matters
        #expect(throws: WebhookSignatureError.noMatch) {
            try Self.verifier([secret], at: vector.accept_at).verify(payload: body, header: vector.header)
        }
    }

    @Test func dotnetVectorTooOldAtTolerance() {
        let v = SignatureVector.all[0]
        #expect(throws: WebhookSignatureError.timestampTooOld) {
            try Self.verifier([v.secret!], at: v.reject_at_tolerance_300!).verify(payload: v.payload, header: v.header)
        }
        // Exactly at the tolerance boundary still passes (now - t == 300).
        #expect(throws: Never.self) {
            try Self.verifier([v.secret!], at: 1_533_204_920).verify(payload: v.payload, header: v.header)
        }
    }

    @Test func rotation() throws {
        let v = SignatureVector.all[2]
        // Either secret alone, both together, or together with an unrelated one.
        try Self.verifier(v.secrets_each_valid!, at: v.accept_at).verify(payload: v.payload, header: v.header)
        try Self.verifier([v.invalid_secret!, v.secrets_each_valid![1]], at: v.accept_at).verify(
            payload: v.payload, header: v.header)
        #expect(throws: WebhookSignatureError.noMatch) {
            try Self.verifier([v.invalid_secret!], at: v.accept_at).verify(payload: v.payload, header: v.header)
        }
        // Our own signer reproduces the fixture header exactly (the fixture lists the old secret's v1 first).
        #expect(
            stripeSignatureHeader(
                payload: v.payload, secrets: v.secrets_each_valid!.reversed(), timestamp: 1_700_000_000)
                == v.header)
    }

    @Test func signerMatchesDotnetVector() {
        let v = SignatureVector.all[0]
        let header = stripeSignatureHeader(payload: v.payload, secret: v.secret!, timestamp: 1_533_204_620)
        #expect(v.header.hasPrefix(header + ","))
    }

    @Test func nonUTF8BodyVerifiesWithoutCrashing() throws {
        let body: [UInt8] = [0xFF, 0xFE, 0x00, 0x80, 0x7B, 0xC3, 0x28]
        let header = stripeSignatureHeader(payload: body, secret: "whsec_x", timestamp: 1000)
        try Self.verifier(["whsec_x"], at: 1000).verify(payload: body, header: header)
        #expect(throws: WebhookSignatureError.noMatch) {
            try Self.verifier(["whsec_x"], at: 1000).verify(payload: body + [0], header: header)
        }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(StripeEvent.self, from: Data(body)) }
    }

    @Test func emptyBodyAndEmptySecretList() throws {
        let header = stripeSignatureHeader(payload: [], secret: "whsec_x", timestamp: 5)
        try Self.verifier(["whsec_x"], at: 5).verify(payload: [], header: header)
        #expect(throws: WebhookSignatureError.noMatch) {
            try Self.verifier([], at: 5).verify(payload: [], header: header)
        }
    }

    @Test func toleranceZoneIsInclusiveAndZeroStillChecks() throws {
        let body = Array("{}".utf8)
        let header = stripeSignatureHeader(payload: body, secret: "s", timestamp: 1000)
        try Self.verifier(["s"], at: 1000, tolerance: 0).verify(payload: body, header: header)
        try Self.verifier(["s"], at: 900, tolerance: 0).verify(payload: body, header: header)  // future: accepted
        #expect(throws: WebhookSignatureError.timestampTooOld) {
            try Self.verifier(["s"], at: 1001, tolerance: 0).verify(payload: body, header: header)
        }
        try Self.verifier(["s"], at: 1010, tolerance: 10).verify(payload: body, header: header)
        #expect(throws: WebhookSignatureError.timestampTooOld) {
            try Self.verifier(["s"], at: 1011, tolerance: 10).verify(payload: body, header: header)
        }
    }

    /// Every way a header can be wrong, with the one precise error it must produce.
    struct NegativeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var header: String?
        var expected: WebhookSignatureError
        var testDescription: String { name }
    }

    static let body = Array("{\"id\":\"evt_1\"}".utf8)
    static let good = stripeSignatureHeader(payload: body, secret: "whsec_good", timestamp: 1000)
    static let goodV1 = String(good.split(separator: "=").last!)
    static let badV1 = String(repeating: "0", count: 64)

    static let negatives: [NegativeCase] = [
        .init(name: "nil header", header: nil, expected: .missingHeader),
        .init(name: "empty header", header: "", expected: .missingHeader),
        .init(name: "blank header", header: "   ", expected: .missingHeader),
        .init(name: "no t", header: "v1=\(goodV1)", expected: .malformedHeader),
        .init(name: "t not digits", header: "t=abc,v1=\(goodV1)", expected: .malformedHeader),
        .init(name: "t negative", header: "t=-1000,v1=\(goodV1)", expected: .malformedHeader),
        .init(name: "t with plus", header: "t=+1000,v1=\(goodV1)", expected: .malformedHeader),
        .init(name: "t empty", header: "t=,v1=\(goodV1)", expected: .malformedHeader),
        .init(name: "t overflows Int64", header: "t=99999999999999999999,v1=\(goodV1)", expected: .malformedHeader),
        .init(name: "t twice", header: "t=1000,t=1000,v1=\(goodV1)", expected: .malformedHeader),
        .init(name: "element without =", header: "t=1000,v1", expected: .malformedHeader),
        .init(name: "garbage", header: "hello", expected: .malformedHeader),
        .init(name: "non-ASCII digits in t", header: "t=１０００,v1=\(goodV1)", expected: .malformedHeader),
        .init(name: "only v0", header: "t=1000,v0=\(goodV1)", expected: .noV1Signature),
        .init(name: "only unknown scheme", header: "t=1000,v2=\(goodV1)", expected: .noV1Signature),
        .init(name: "t only", header: "t=1000", expected: .noV1Signature),
        .init(name: "wrong v1", header: "t=1000,v1=\(badV1)", expected: .noMatch),
        .init(name: "upper-case hex", header: "t=1000,v1=\(goodV1.uppercased())", expected: .noMatch),
        .init(name: "truncated v1", header: "t=1000,v1=\(goodV1.dropLast())", expected: .noMatch),
        .init(name: "empty v1", header: "t=1000,v1=", expected: .noMatch),
        .init(name: "signature for another t", header: "t=1001,v1=\(goodV1)", expected: .noMatch),
        .init(name: "v0 holds the right value", header: "t=1000,v0=\(goodV1),v1=\(badV1)", expected: .noMatch),
        .init(
            name: "too old",
            header:
                "t=600,v1=\(stripeSignatureHeader(payload: body, secret: "whsec_good", timestamp: 600).split(separator: "=").last!)",
            expected: .timestampTooOld),
    ]

    @Test(arguments: negatives)
    func negative(_ c: NegativeCase) {
        #expect(throws: c.expected) {
            try Self.verifier(["whsec_good"], at: 1000).verify(payload: Self.body, header: c.header)
        }
    }

    @Test(arguments: [
        "t=1000,v1=\(goodV1)", " t = 1000 , v1 = \(goodV1) ", "v0=abc,t=1000,v1=\(badV1),v1=\(goodV1)",
        "t=1000,v1=\(goodV1),scheme=whatever", "t=0001000,v1=\(goodV1)", "t=1000,v1=\(goodV1),",
        ",t=1000,,v1=\(goodV1)", "t=1000,v1==\(goodV1.dropFirst())x,v1=\(goodV1)",
    ])
    func acceptedHeaderShapes(header: String) throws {
        // Verified, and the timestamp read from `t` (leading zeros and all) is the one signed.
        #expect(try Self.verifier(["whsec_good"], at: 1000).verify(payload: Self.body, header: header) == 1000)
    }

    /// Arbitrary bytes as body and arbitrary text as header: an error or a timestamp, never a crash, and
    /// never a success for a body other than the one the good signature was made for.
    @Test(arguments: 0..<20)
    func randomInputNeverCrashes(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) &+ 99)
        let pieces = ["t", "=", ",", "v1", "v0", " ", "1000", "-", "\u{0}", "é", Self.goodV1, "99999999999999999999"]
        let verifier = Self.verifier(["whsec_good"], at: 1000)
        for _ in 0..<200 {
            let header = (0..<Int.random(in: 0...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }
                .joined()
            let body = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let accepted = try? verifier.verify(payload: body, header: header)
            #expect(accepted == nil || body == Self.body)
            // The body the signature was made for, under the same random header: verifies only when the
            // header carries the good v1.
            let genuine = try? verifier.verify(payload: Self.body, header: header)
            if genuine != nil { #expect(header.contains(Self.goodV1)) }
        }
    }

    @Test func descriptionsHideSecrets() {
        let v = WebhookVerifier(secrets: ["whsec_topsecret"])
        #expect(!"\(v)".contains("topsecret"))
        #expect(!String(reflecting: v).contains("topsecret"))
        var dumped = ""
        dump(v, to: &dumped)
        #expect(!dumped.contains("topsecret"))
    }
}
