/// Everything a `StripeClient` call can fail with, after its own bounded retries.
public enum StripeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stripe answered with an error status (4xx/5xx) and, usually, a JSON error body.
    case api(StripeAPIError)
    /// No HTTP answer: connection refused/reset, DNS, TLS, … (the message never holds the secret key).
    case transport(String)
    /// No answer within the per-request timeout.
    case timeout
    /// A 2xx whose body is not the expected object.
    case decoding(String)

    /// Whether trying the same request again later (same idempotency key) may succeed: transport errors,
    /// timeouts, 409, 429 and 5xx. Other 4xx are configuration or input faults.
    public var isRetryable: Bool {
        switch self {
        case .transport, .timeout: return true
        case .decoding: return false
        case .api(let e): return e.status == 409 || e.status == 429 || e.status >= 500
        }
    }

    public var description: String {
        switch self {
        case .api(let e): return e.description
        case .transport(let m): return "Stripe unreachable: \(m)"
        case .timeout: return "Stripe request timed out"
        case .decoding(let m): return "unexpected Stripe response: \(m)"
        }
    }
}
