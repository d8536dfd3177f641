/// The parsed request line and headers of one request, with the framing decisions already made.
///
/// Why framing lives here: `Content-Length` / `Transfer-Encoding` / `Connection` / `Expect` are checked
/// once, in the parser, against RFC 9112's anti-smuggling rules, so no later layer re-interprets them.
public struct HTTPRequestHead: Sendable {
    /// How the body is delimited.
    public enum Framing: Sendable, Equatable {
        /// No body.
        case none
        /// Exactly this many bytes (`Content-Length`).
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
    }

    /// The method token.
    public var method: HTTPMethod
    /// The request target as received.
    public var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var versionMinor: Int
    /// The header fields in order.
    public var headers: HTTPHeaders
    /// Body framing.
    public var framing: Framing
    /// Whether the client allows the connection to be reused after this request.
    public var keepAlive: Bool
    /// Whether the client waits for `100 Continue` before sending the body.
    public var expectContinue: Bool
}
