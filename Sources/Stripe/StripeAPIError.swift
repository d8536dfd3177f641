/// An error answer from Stripe's API: `{"error": {"type", "code", "param", "message", …}}` plus the HTTP
/// status and the `Request-Id` header.
///
/// Match on `status`, `type` and `code`, never on `message` (Stripe rewords messages freely).
public struct StripeAPIError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status (not part of the JSON).
    public var status: Int
    /// `invalid_request_error`, `api_error`, `card_error`, `idempotency_error`, …
    public var type: String
    /// e.g. `parameter_missing`, `resource_missing`, `rate_limit`; nil when Stripe sent none.
    public var code: String?
    /// The parameter at fault, e.g. `line_items[0][price_data][unit_amount]`.
    public var param: String?
    /// For a human.
    public var message: String?
    /// For card errors.
    public var declineCode: String?
    /// `Request-Id` response header (`req_…`), for Stripe support; not part of the JSON.
    public var requestID: String?
    /// `Stripe-Should-Retry` response header (nil when absent): Stripe's own word on whether the same
    /// request may succeed later; not part of the JSON.
    public var shouldRetry: Bool?

    public init(
        status: Int, type: String, code: String? = nil, param: String? = nil, message: String? = nil,
        declineCode: String? = nil, requestID: String? = nil, shouldRetry: Bool? = nil
    ) {
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.message = message
        self.declineCode = declineCode
        self.requestID = requestID
        self.shouldRetry = shouldRetry
    }

    enum CodingKeys: String, CodingKey {
        case type, code, param, message
        case declineCode = "decline_code"
    }

    /// Decodes the inner `error` object; `status` and `requestID` are filled in by the caller.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        status = 0
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? "api_error"
        code = try c.decodeIfPresent(String.self, forKey: .code)
        param = try c.decodeIfPresent(String.self, forKey: .param)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        declineCode = try c.decodeIfPresent(String.self, forKey: .declineCode)
        requestID = nil
        shouldRetry = nil
    }

    /// Encodes the inner `error` object (wrap it in `Envelope` for the full body).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        try c.encodeIfPresent(code, forKey: .code)
        try c.encodeIfPresent(param, forKey: .param)
        try c.encodeIfPresent(message, forKey: .message)
        try c.encodeIfPresent(declineCode, forKey: .declineCode)
    }

    /// The response body shape `{"error": {...}}`.
    public struct Envelope: Codable, Sendable {
        public var error: StripeAPIError
        public init(error: StripeAPIError) { self.error = error }
    }

    public var description: String {
        var s = "Stripe \(status) \(type)"
        if let code { s += " \(code)" }
        if let param { s += " param=\(param)" }
        if let message { s += ": \(message)" }
        if let requestID { s += " (\(requestID))" }
        return s
    }
}
