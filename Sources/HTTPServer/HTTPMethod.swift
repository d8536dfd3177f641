/// An HTTP request method.
///
/// A struct rather than an enum so any valid token (e.g. `PROPFIND`) can be represented and routed to
/// 405 instead of failing to parse. Methods are case-sensitive (RFC 9110 §9.1).
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

    public var description: String { rawValue }
}
