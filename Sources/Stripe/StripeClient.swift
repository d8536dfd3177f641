import BlockingHTTP
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A small, blocking client for the part of Stripe's API this service uses (Checkout Sessions).
///
/// Why blocking: callers are request-handler worker threads that already block on Postgres; each call
/// waits on a semaphore for a URLSession data task and never touches Swift's cooperative pool.
///
/// Contract:
/// - Every request: `Authorization: Bearer <key>`, `Stripe-Version: StripeClient.apiVersion`, a
///   `User-Agent`; POSTs are form-encoded (`FormEncoder`) and carry the caller's `Idempotency-Key`, reused
///   unchanged by this client's own retries so Stripe applies the request at most once.
/// - Bounded retries (`maxRetries`, default 2) with exponential backoff and full jitter on connection
///   errors, timeouts, 409, 429 and ≥ 500; `Stripe-Should-Retry: true/false` overrides that decision and
///   `Retry-After` (capped) lengthens the wait. Other 4xx are never retried.
/// - Each attempt is bounded by `timeout` (hard deadline: the task is cancelled), so a call takes at most
///   about `(maxRetries + 1) × timeout + backoffs`.
/// - The secret key appears in no description, error or log line.
public struct StripeClient: Sendable {
    /// The pinned API version (the fixtures' version); sent as `Stripe-Version` on every request.
    public static let apiVersion = "2026-08-26.dahlia"

    /// Where the API is (`STRIPE_API_BASE`): `https://api.stripe.com` or a simulator.
    public let apiBase: URL
    /// Per-attempt deadline.
    public let timeout: Duration
    /// Retries after the first attempt.
    public let maxRetries: Int
    /// Backoff before retry n (0-based) is uniform in `0 … min(maxBackoff, initialBackoff × 2ⁿ)`.
    public let initialBackoff: Duration
    public let maxBackoff: Duration
    /// Upper bound on a server-requested `Retry-After` wait.
    public let maxRetryAfter: Duration
    public let userAgent: String

    private let secretKey: String
    private let transport: BlockingHTTPClient

    /// - Parameters:
    ///   - secretKey: `sk_…` or `rk_…`; kept private and never printed.
    ///   - apiBase: `STRIPE_API_BASE`.
    ///   - timeout: per attempt.
    ///   - maxRetries: retries after the first attempt (0 = one attempt only).
    ///   - initialBackoff, maxBackoff, maxRetryAfter: retry pacing; tests make them tiny.
    public init(
        secretKey: String, apiBase: URL = URL(string: "https://api.stripe.com")!, timeout: Duration = .seconds(10),
        maxRetries: Int = 2, initialBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(5),
        maxRetryAfter: Duration = .seconds(10), userAgent: String = "checkout-server/1.0 (Swift; StripeClient)"
    ) {
        precondition(maxRetries >= 0, "maxRetries must not be negative")
        self.secretKey = secretKey
        self.apiBase = apiBase
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxRetryAfter = maxRetryAfter
        self.userAgent = userAgent
        // Stripe never redirects its API; following one could send the key elsewhere.
        self.transport = BlockingHTTPClient(timeout: timeout)
    }

    // MARK: - Checkout Sessions

    /// `POST /v1/checkout/sessions`. `idempotencyKey` (1–255 chars) identifies the logical request: pass
    /// the same key when the caller itself retries later, so Stripe never creates two sessions for it.
    public func createCheckoutSession(_ params: CheckoutSessionCreateParams, idempotencyKey: String)
        throws(StripeError) -> CheckoutSession
    {
        try send("POST", "/v1/checkout/sessions", form: params.formParameters, idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/checkout/sessions/:id`.
    public func retrieveCheckoutSession(_ id: String) throws(StripeError) -> CheckoutSession {
        try send("GET", "/v1/checkout/sessions/" + FormEncoder.percentEncode(id), form: nil, idempotencyKey: nil)
    }

    /// `POST /v1/checkout/sessions/:id/expire`: only an `open` session can be expired (else 400).
    public func expireCheckoutSession(_ id: String, idempotencyKey: String) throws(StripeError) -> CheckoutSession {
        try send(
            "POST", "/v1/checkout/sessions/" + FormEncoder.percentEncode(id) + "/expire", form: [:],
            idempotencyKey: idempotencyKey)
    }

    // MARK: - Request loop

    /// Sends one logical request with bounded retries and decodes the 2xx body as `T`.
    func send<T: Decodable>(_ method: String, _ path: String, form: [String: FormValue]?, idempotencyKey: String?)
        throws(StripeError) -> T
    {
        if let idempotencyKey {
            precondition(
                !idempotencyKey.isEmpty && idempotencyKey.utf8.count <= 255, "Idempotency-Key must be 1-255 bytes")
        }
        guard let url = URL(string: apiBase.absoluteString.trimmingSuffix("/") + path) else {
            throw .transport("invalid API URL")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("Bearer \(secretKey)", forHTTPHeaderField: "Authorization")
        request.setValue(Self.apiVersion, forHTTPHeaderField: "Stripe-Version")
        request.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let form {
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(FormEncoder.encode(form).utf8)
        }
        if let idempotencyKey { request.setValue(idempotencyKey, forHTTPHeaderField: "Idempotency-Key") }

        var attempt = 0
        while true {
            let failure: StripeError
            var serverDelay: Duration? = nil
            var retry: Bool
            switch transport.perform(request) {
            case .success(let answer):
                if (200..<300).contains(answer.status) {
                    do {
                        return try JSONDecoder().decode(T.self, from: Data(answer.body))
                    } catch {
                        throw .decoding("\(T.self): \(error)")
                    }
                }
                let apiError = Self.apiError(from: answer)
                failure = .api(apiError)
                switch answer.header("Stripe-Should-Retry")?.lowercased() {
                case "true": retry = true
                case "false": retry = false
                default: retry = failure.isRetryable
                }
                // Clamp before converting: "inf" or "1e300" parse as Doubles that trap in Int64(_:).
                if let ra = answer.header("Retry-After"), let seconds = Double(ra.trimmingCharacters(in: .whitespaces)),
                    seconds.isFinite, seconds >= 0
                {
                    serverDelay = .milliseconds(Int64(min(seconds, maxRetryAfter.seconds) * 1000))
                }
            case .failure(.timeout):
                failure = .timeout
                retry = true
            case .failure(.transport(let what)):
                failure = .transport(what)
                retry = true
            }
            guard retry, attempt < maxRetries else { throw failure }
            var delay = backoff(attempt: attempt)
            if let serverDelay, serverDelay > delay { delay = serverDelay }
            Thread.sleep(forTimeInterval: delay.seconds)
            attempt += 1
        }
    }

    /// Full jitter: uniform in `0 … min(maxBackoff, initialBackoff × 2^attempt)`.
    func backoff(attempt: Int) -> Duration {
        let cap = min(maxBackoff.seconds, initialBackoff.seconds * Double(1 << min(attempt, 30)))
        guard cap > 0 else { return .zero }
        return .milliseconds(Int64(Double.random(in: 0...cap) * 1000))
    }

    static func apiError(from answer: BlockingHTTPClient.Answer) -> StripeAPIError {
        var error =
            (try? JSONDecoder().decode(StripeAPIError.Envelope.self, from: Data(answer.body)).error)
            ?? StripeAPIError(
                status: answer.status, type: answer.status >= 500 ? "api_error" : "invalid_request_error",
                message: "HTTP \(answer.status) without a Stripe error body")
        error.status = answer.status
        error.requestID = answer.header("Request-Id")
        switch answer.header("Stripe-Should-Retry")?.lowercased() {
        case "true": error.shouldRetry = true
        case "false": error.shouldRetry = false
        default: error.shouldRetry = nil
        }
        return error
    }
}

extension StripeClient: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Shows where the client points and the kind of key, never the key.
    public var description: String {
        let kind = secretKey.split(separator: "_").prefix(2).joined(separator: "_")
        return
            "StripeClient(apiBase: \(apiBase.absoluteString), key: \(kind)_…redacted, timeout: \(timeout), maxRetries: \(maxRetries))"
    }
    public var debugDescription: String { description }
    /// `dump()` and debuggers see the description only.
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}

extension Duration {
    /// Seconds as a `Double` (for Foundation APIs).
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
