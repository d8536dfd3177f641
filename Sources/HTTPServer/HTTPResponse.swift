import Foundation

/// A response a handler returns: status, headers and the body bytes.
///
/// The server owns framing: it sets `Content-Length`, `Date` and `Connection` itself (any framing headers
/// a handler sets are replaced), and drops the body for HEAD, 1xx, 204 and 304.
public struct HTTPResponse: Sendable {
    /// The status line's status.
    public var status: HTTPStatus
    /// Response headers (framing headers are managed by the server).
    public var headers: HTTPHeaders
    /// The body bytes, sent as-is.
    public var body: [UInt8]
    /// The pattern of the route that produced this response, set by ``Router`` (never sent): lets an
    /// access log label the request without matching its path a second time.
    public var route: String?

    /// A response with explicit parts.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from an `Encodable` value (`Content-Type: application/json`). Encoding failure is a
    /// programming error in the value's type; it answers 500 `internal_error` rather than crashing.
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return HTTPError.internalError.response(requestID: "")
        }
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(data))
    }

    /// A JSON response from bytes that are already JSON.
    public static func json(bytes: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: bytes)
    }

    /// A text response (UTF-8).
    public static func text(
        _ s: String, status: HTTPStatus = .ok, contentType: String = "text/plain; charset=utf-8"
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(s.utf8))
    }

    /// An HTML page (UTF-8).
    public static func html(_ s: String, status: HTTPStatus = .ok) -> HTTPResponse {
        text(s, status: status, contentType: "text/html; charset=utf-8")
    }

    /// A redirect to `location` (303 by default, so a POST is followed by a GET).
    public static func redirect(to location: String, status: HTTPStatus = .seeOther) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Location": location], body: [])
    }
}
