/// Why a webhook's `Stripe-Signature` was rejected. Each case is one distinct failure so logs and metrics
/// can tell a misconfigured secret (`noMatch`) from a replay (`timestampTooOld`) or a broken proxy
/// (`malformedHeader`). None of them carries the payload, the header or a secret.
public enum WebhookSignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No `Stripe-Signature` header, or an empty one.
    case missingHeader
    /// The header does not parse: no `t`, a `t` that is not an Int64 of digits, or an element without `=`.
    case malformedHeader
    /// The header parses but has no `v1` element (for example only `v0`, the unverifiable test-mode value).
    case noV1Signature
    /// No `v1` matches the HMAC of the raw body under any configured secret (wrong secret, modified body).
    case noMatch
    /// A `v1` matches, but `now - t` exceeds the tolerance (a replay, or a badly skewed clock).
    case timestampTooOld

    /// Wording close to Stripe's official libraries, for logs.
    public var description: String {
        switch self {
        case .missingHeader: return "No Stripe-Signature header"
        case .malformedHeader: return "Unable to extract timestamp and signatures from header"
        case .noV1Signature: return "No signatures found with expected scheme v1"
        case .noMatch: return "No signatures found matching the expected signature for payload"
        case .timestampTooOld: return "Timestamp outside the tolerance zone"
        }
    }
}
