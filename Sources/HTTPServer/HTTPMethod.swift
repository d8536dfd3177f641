/// An HTTP request method.
///
/// A struct rather than an enum so tables and tests can name any token. The parser only lets the methods
/// in `known` through: any other token (e.g. `PROPFIND`, `MKCOLA`) is answered 501 before routing
/// (RFC 9110 §9.1: an unrecognized method SHOULD get 501), so an invented method can never become a
/// route lookup, a log field or a metrics label. Methods are case-sensitive.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The method token as sent, e.g. `GET`.
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// Shorthand for `init(rawValue:)`.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static let get = HTTPMethod("GET")
    public static let head = HTTPMethod("HEAD")
    public static let post = HTTPMethod("POST")
    public static let put = HTTPMethod("PUT")
    public static let delete = HTTPMethod("DELETE")
    public static let patch = HTTPMethod("PATCH")
    public static let options = HTTPMethod("OPTIONS")

    /// The methods this server implements; any other token is 501 `not_implemented`. CONNECT and TRACE
    /// are left out on purpose (no proxying, no echoing requests back).
    public static let known: Set<HTTPMethod> = [.get, .head, .post, .put, .delete, .patch, .options]

    /// Whether this is one of `known`.
    public var isKnown: Bool { Self.known.contains(self) }

    /// A bounded label for logs and metrics: the token when it is one of `known`, else `other`.
    public var label: String { isKnown ? rawValue : "other" }

    public var description: String { rawValue }
}
