import Foundation

/// A complete HTTP request as handlers see it.
///
/// The body is the **raw bytes** received (after de-chunking), never re-encoded: webhook signatures are
/// computed over exactly these bytes. `path`, `query` and `queryItems` are derived from `target` when the
/// request is built; routers fill `pathParameters`.
public struct HTTPRequest: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The request target exactly as received (e.g. `/api/orders?limit=5`).
    public var target: String
    /// The path without the query, each segment percent-decoded (so `%2F` inside a segment becomes `/`:
    /// route on `pathSegments` when that matters).
    public var path: String
    /// The raw (still percent-encoded) path segments, empty segments removed.
    public var pathSegments: [Substring]
    /// Query parameters, percent-decoded (`+` is a space); for a repeated name the first value wins.
    public var query: [String: String]
    /// Every query parameter in order, repeats kept.
    public var queryItems: [(String, String)]
    /// The request headers.
    public var headers: HTTPHeaders
    /// The body bytes exactly as received.
    public var body: [UInt8]
    /// Parameters captured by the router (`:orderId` → `pathParameters["orderId"]`), percent-decoded.
    public var pathParameters: [String: String]
    /// The peer address (`ip:port`), or `""` when not from a socket.
    public var remoteAddress: String
    /// The request id: the client's sane `X-Request-Id`, else a generated one. Every response carries it.
    public var requestID: String
    /// The HTTP minor version (0 for HTTP/1.0, 1 for HTTP/1.1).
    public var versionMinor: Int

    /// Builds a request, deriving `path`, `query` and `queryItems` from `target` and `requestID` from the
    /// `X-Request-Id` header (or a fresh id) unless one is given.
    public init(
        method: HTTPMethod, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        remoteAddress: String = "", requestID: String? = nil, versionMinor: Int = 1
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.versionMinor = versionMinor
        self.pathParameters = [:]
        let parts = RequestTarget.split(target)
        self.pathSegments = parts.segments
        self.path = RequestTarget.decodedPath(parts.segments)
        self.queryItems = RequestTarget.parseQuery(parts.query)
        var query: [String: String] = [:]
        for (name, value) in queryItems where query[name] == nil { query[name] = value }
        self.query = query
        self.requestID = requestID ?? RequestID.resolve(headers["X-Request-Id"])
    }

    /// Decodes the body as JSON into `type`; throws 400 `invalid_json` when it is not valid JSON or does
    /// not have the expected shape (the message names the offending key when Foundation reports one).
    public func decodeJSON<T: Decodable>(_ type: T.Type) throws(HTTPError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw HTTPError.invalidJSON(Self.describe(error))
        } catch {
            throw HTTPError.invalidJSON()
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing field \(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type for field \(path(context))"
        case .dataCorrupted(let context):
            let at = path(context)
            return at.isEmpty ? "request body is not valid JSON" : "invalid value for field \(at)"
        @unknown default:
            return "request body is not valid JSON"
        }
    }
}
