import Stripe
import Testing

/// A deterministic PRNG so property tests are reproducible (seed in the test name).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random values covering everything that needs escaping.
enum FormGen {
    static let valueAlphabet: [String] = [
        "a", "Z", "0", "9", "-", ".", "_", "~", " ", "&", "=", "+", "%", "[", "]", "?", "#", "/", "\"", "'",
        "é", "ß", "中", "😀", "👩‍👩‍👧", "\n", "\t", "%20", "%5B", ";", ",",
    ]
    /// Keys: no brackets (ambiguous with nesting, and forbidden by Stripe) and never a pure number
    /// (a container with keys 0…n-1 decodes as a list).
    static let keyAlphabet: [String] = valueAlphabet.filter { $0 != "[" && $0 != "]" && $0 != "%5B" }

    static func string(_ alphabet: [String], max: Int, using rng: inout SplitMix64) -> String {
        let n = Int.random(in: 0...max, using: &rng)
        return (0..<n).map { _ in alphabet.randomElement(using: &rng)! }.joined()
    }

    static func key(using rng: inout SplitMix64) -> String {
        "k" + string(keyAlphabet, max: 6, using: &rng)
    }

    static func value(depth: Int, using rng: inout SplitMix64) -> FormValue {
        let pick = depth >= 3 ? 0 : Int.random(in: 0...3, using: &rng)
        switch pick {
        case 0, 1:
            return .string(string(valueAlphabet, max: 8, using: &rng))
        case 2:
            let n = Int.random(in: 1...12, using: &rng)
            return .array((0..<n).map { _ in value(depth: depth + 1, using: &rng) })
        default:
            return .dictionary(dictionary(depth: depth + 1, using: &rng))
        }
    }

    static func dictionary(depth: Int, using rng: inout SplitMix64) -> [String: FormValue] {
        var d: [String: FormValue] = [:]
        for _ in 0..<Int.random(in: 1...5, using: &rng) {
            d[key(using: &rng)] = value(depth: depth, using: &rng)
        }
        return d
    }
}

@Suite("Form encoding")
struct FormEncodingTests {
    @Test func checkoutSessionParamsUseStripeBracketKeys() {
        let params = CheckoutSessionCreateParams(
            lineItems: [.init(name: "Mug & Co", unitAmount: 1250, currency: "usd", quantity: 2)],
            successURL: "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
            cancelURL: "https://shop.example/cancel", clientReferenceID: "DO-1",
            metadata: ["order_id": "o1"], paymentIntentMetadata: ["order_id": "o1"],
            customerEmail: "a+b@example.com", expiresAt: 1_800_000_000)
        let pairs = FormEncoder.pairs(params.formParameters)
        #expect(
            pairs.map(\.key) == [
                "cancel_url", "client_reference_id", "customer_email", "expires_at",
                "line_items[0][price_data][currency]", "line_items[0][price_data][product_data][name]",
                "line_items[0][price_data][unit_amount]", "line_items[0][quantity]",
                "metadata[order_id]", "mode", "payment_intent_data[metadata][order_id]", "success_url",
            ])
        let body = FormEncoder.encode(params.formParameters)
        #expect(body.contains("line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Mug%20%26%20Co"))
        #expect(body.contains("customer_email=a%2Bb%40example.com"))
        #expect(body.contains("success_url=https%3A%2F%2Fshop.example%2Fok%3Fsession_id%3D%7BCHECKOUT_SESSION_ID%7D"))
        #expect(body.contains("mode=payment"))
    }

    @Test(arguments: [
        ("a b", "a%20b"), ("a+b", "a%2Bb"), ("a&b=c", "a%26b%3Dc"), ("100%", "100%25"), ("[x]", "%5Bx%5D"),
        ("é", "%C3%A9"), ("😀", "%F0%9F%98%80"), ("AZaz09-._~", "AZaz09-._~"), ("", ""),
    ])
    func percentEncoding(input: String, expected: String) {
        #expect(FormEncoder.percentEncode(input) == expected)
    }

    @Test func deterministicOrderAndIndexedLists() {
        let v: [String: FormValue] = [
            "b": .string("2"), "a": .array((0..<12).map { .int($0) }), "c": .dictionary(["z": "1", "y": "2"]),
        ]
        let keys = FormEncoder.pairs(v).map(\.key)
        #expect(keys.prefix(3) == ["a[0]", "a[1]", "a[2]"])
        #expect(keys[10] == "a[10]")
        #expect(keys.suffix(3) == ["b", "c[y]", "c[z]"])
        #expect(FormEncoder.encode(v) == FormEncoder.encode(v))
    }

    @Test(arguments: 0..<40)
    func randomRoundTrip(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &* 7919 &+ 1)
        let value = FormGen.dictionary(depth: 0, using: &rng)
        let encoded = FormEncoder.encode(value)
        // Only unreserved characters, escapes and the two separators go on the wire.
        #expect(
            encoded.utf8.allSatisfy { b in
                (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
                    || [
                        UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"),
                        UInt8(ascii: "&"), UInt8(ascii: "="),
                    ].contains(b)
            })
        #expect(try FormDecoder.decode(encoded) == value)
    }

    @Test func decoderAcceptsLiteralBracketsAndPlusAsSpace() throws {
        let d = try FormDecoder.decode("line_items[1][quantity]=3&line_items[0][quantity]=1&metadata[k]=a+b%2Bc")
        #expect(d["line_items"] == .array([.dictionary(["quantity": "1"]), .dictionary(["quantity": "3"])]))
        #expect(d["metadata"]?["k"] == .string("a b+c"))
    }

    @Test func listWithGapIsADictionary() throws {
        let d = try FormDecoder.decode("a[0]=x&a[2]=y&b[01]=z")
        #expect(d["a"] == .dictionary(["0": "x", "2": "y"]))
        #expect(d["b"] == .dictionary(["01": "z"]))
    }

    @Test(arguments: [
        "a=1&a=2", "a=1&a[b]=2", "a[b]=2&a=1", "a[b=1", "a]=1", "a[b]c=1", "[a]=1", "a[]=1", "=1", "a[[b]]=1",
        "a=%zz", "a=%4", "a=%", "a=%FF", "a[b][c][d][e][f][g][h][i][j]=1",
    ])
    func decoderRejectsAmbiguousOrMalformed(body: String) {
        #expect(throws: FormDecodingError.self) { try FormDecoder.decode(body) }
    }

    @Test func decoderBoundsPairs() {
        let body = (0..<11).map { "k\($0)=v" }.joined(separator: "&")
        #expect(throws: FormDecodingError.self) {
            try FormDecoder.decode(body, limits: .init(maxPairs: 10))
        }
        #expect((try? FormDecoder.decode(body, limits: .init(maxPairs: 11)))?.count == 11)
    }

    @Test func emptyPiecesAndValuelessKeys() throws {
        #expect(try FormDecoder.decode("") == [:])
        #expect(try FormDecoder.decode("&&a&b=") == ["a": "", "b": ""])
    }

    /// Arbitrary bytes: a tree or a `FormDecodingError` (the typed throw), never a crash; a tree has no
    /// more top-level keys than the body has `&`-separated pieces, and decoding is deterministic.
    @Test(arguments: 0..<20)
    func randomBytesNeverCrash(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) &+ 7)
        let alphabet = Array("ab0[]=&%+5BDz".utf8) + [0xFF, 0xC3, 0x00]
        for _ in 0..<300 {
            let body = (0..<Int.random(in: 0...30, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            guard let tree = try? FormDecoder.decode(body) else { continue }
            #expect(tree.count <= body.split(separator: UInt8(ascii: "&")).count)
            #expect((try? FormDecoder.decode(body)) == tree)
        }
    }
}
