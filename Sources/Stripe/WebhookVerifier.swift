import COpenSSL
import Foundation

/// Checks a Stripe webhook's `Stripe-Signature` header against the raw request body, before anything
/// parses or stores it.
///
/// Contract (docs/API.md §5; Stripe: https://docs.stripe.com/webhooks#verify-manually):
/// - Header `t=<unix>,v1=<hex>[,v1=…][,v0=…]`: split on `,` (empty elements skipped), each element on its
///   first `=`, spaces around names and values trimmed. `t` must occur once, be ASCII digits only and fit an `Int64`.
/// - Accept when **any** `v1` equals hex HMAC-SHA256(secret, "\(t)." + body) for **any** configured
///   secret (rotation), compared in constant time with `CRYPTO_memcmp`. `v0` and unknown schemes are ignored.
/// - Then reject when `now - t > tolerance`; a tolerance of 0 still checks (only `t == now` or future
///   passes). Future timestamps are accepted, as Stripe's libraries do.
/// - The body is raw bytes and need not be UTF-8: a correct signature over any bytes verifies (the caller's
///   JSON decoding fails afterwards); nothing here can crash on input.
public struct WebhookVerifier: Sendable {
    /// The configured signing secrets (`whsec_…`); never printed.
    private let secrets: [String]
    /// Maximum accepted age of `t`, in seconds.
    public let tolerance: Int
    private let now: @Sendable () -> Int64

    /// - Parameters:
    ///   - secrets: every active signing secret; the verifier accepts a signature from any of them.
    ///   - tolerance: seconds; must be ≥ 0 (Stripe's libraries default to 300).
    ///   - now: the clock, injectable for tests; defaults to the system clock in unix seconds.
    public init(
        secrets: [String], tolerance: Int = 300,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        precondition(tolerance >= 0, "tolerance must not be negative")
        self.secrets = secrets.filter { !$0.isEmpty }
        self.tolerance = tolerance
        self.now = now
    }

    /// Verifies `header` over `payload`; returns the signed timestamp on success.
    @discardableResult
    public func verify(payload: [UInt8], header: String?) throws(WebhookSignatureError) -> Int64 {
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else { throw .missingHeader }
        let parsed = try Self.parse(header)
        guard !parsed.v1.isEmpty else { throw .noV1Signature }
        var matched = false
        for secret in secrets {
            let expected = expectedV1(payload: payload, secret: secret, timestamp: parsed.timestamp)
            for candidate in parsed.v1 where Self.constantTimeEqual(candidate, expected) {
                matched = true
            }
        }
        guard matched else { throw .noMatch }
        let (age, overflow) = now().subtractingReportingOverflow(parsed.timestamp)
        if overflow || age > Int64(tolerance) { throw .timestampTooOld }
        return parsed.timestamp
    }

    /// The parts of a header that matter.
    public struct ParsedHeader: Sendable, Equatable {
        /// The signed timestamp.
        public var timestamp: Int64
        /// Every `v1` value, as sent (bytes of the hex text).
        public var v1: [[UInt8]]
    }

    /// Parses a `Stripe-Signature` value (exposed for tests and fuzzing).
    public static func parse(_ header: String) throws(WebhookSignatureError) -> ParsedHeader {
        var timestamp: Int64?
        var v1: [[UInt8]] = []
        for element in header.split(separator: ",", omittingEmptySubsequences: false) {
            if element.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }  // "a,,b" or a trailing comma
            guard let eq = element.firstIndex(of: "=") else { throw .malformedHeader }
            let name = element[element.startIndex..<eq].trimmingCharacters(in: .whitespaces)
            let value = element[element.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "t":
                guard timestamp == nil, !value.isEmpty, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                    let t = Int64(value)
                else { throw .malformedHeader }
                timestamp = t
            case "v1":
                v1.append(Array(value.utf8))
            default:
                continue  // v0 and any future scheme
            }
        }
        guard let timestamp else { throw .malformedHeader }
        return ParsedHeader(timestamp: timestamp, v1: v1)
    }

    /// Constant time in the content (the length of a hex digest is public).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return false }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, pa.count) == 0 }
        }
    }
}

extension WebhookVerifier: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Never shows the secrets.
    public var description: String { "WebhookVerifier(secrets: \(secrets.count) redacted, tolerance: \(tolerance)s)" }
    public var debugDescription: String { description }
    /// `dump()` and debuggers see the description only.
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
