/// The one error value handlers throw to produce an error response.
///
/// Why a small value and not an `Error` hierarchy: every failure a client can see becomes the same
/// JSON shape (docs/API.md §2), rendered in exactly one place (`response(requestID:)`), so a code path
/// cannot leak a stack trace, an SQL statement or a differently shaped body:
/// `{"error":{"code":"…","message":"…","field":"…"},"requestId":"…"}` (`field` omitted when nil;
/// `extra` pairs are added inside `"error"`, e.g. `orderId`).
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// The response status.
    public var status: HTTPStatus
    /// A stable snake_case code clients can switch on.
    public var code: String
    /// A message for a human; must not contain secrets or internal details.
    public var message: String
    /// The request field at fault (a JSON path such as `items[0].quantity`), when exactly one is.
    public var field: String?
    /// Extra response headers, e.g. `Allow` for 405 or `Retry-After` for 429/503.
    public var headers: HTTPHeaders
    /// Extra string fields placed inside `"error"` (e.g. `orderId`), written in key order.
    public var extra: [String: String]

    /// An error response description; see the type's documentation for the rendered shape.
    public init(
        _ status: HTTPStatus, code: String, message: String, field: String? = nil,
        headers: HTTPHeaders = HTTPHeaders(), extra: [String: String] = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
        self.extra = extra
    }

    /// Same as `init(_:code:message:…)` with a labelled status.
    public init(
        status: HTTPStatus, code: String, message: String, field: String? = nil,
        headers: HTTPHeaders = HTTPHeaders(), extra: [String: String] = [:]
    ) {
        self.init(status, code: code, message: message, field: field, headers: headers, extra: extra)
    }

    public var description: String { "HTTPError(\(status.code) \(code): \(message))" }

    /// The JSON body bytes of this error for the request `requestID`.
    public func jsonBody(requestID: String) -> [UInt8] {
        var out = "{\"error\":{\"code\":"
        JSONText.appendString(code, to: &out)
        out += ",\"message\":"
        JSONText.appendString(message, to: &out)
        if let field {
            out += ",\"field\":"
            JSONText.appendString(field, to: &out)
        }
        for key in extra.keys.sorted() where !["code", "message", "field"].contains(key) {
            out += ","
            JSONText.appendString(key, to: &out)
            out += ":"
            JSONText.appendString(extra[key]!, to: &out)
        }
        out += "},\"requestId\":"
        JSONText.appendString(requestID, to: &out)
        out += "}"
        return Array(out.utf8)
    }

    /// The complete error response: status, `headers`, `Content-Type: application/json`,
    /// `Cache-Control: no-store` (an error is about one request: no shared cache may keep it) and the
    /// JSON body. This is the only place an error becomes bytes.
    public func response(requestID: String) -> HTTPResponse {
        var headers = self.headers
        headers.replaceOrAdd("Content-Type", "application/json")
        headers.replaceOrAdd("Cache-Control", "no-store")
        headers.replaceOrAdd("X-Request-Id", requestID)
        return HTTPResponse(status: status, headers: headers, body: jsonBody(requestID: requestID))
    }

    // MARK: Common errors

    /// 400 `invalid_json`: the body could not be decoded.
    public static func invalidJSON(_ message: String = "request body is not valid JSON") -> HTTPError {
        HTTPError(.badRequest, code: "invalid_json", message: message)
    }

    /// 404 `not_found`: no route matches the path.
    public static let notFound = HTTPError(.notFound, code: "not_found", message: "no such resource")

    /// 500 `internal_error`: anything not an `HTTPError`. Deliberately says nothing specific.
    public static let internalError = HTTPError(
        .internalServerError, code: "internal_error", message: "internal server error")

    /// 503 `server_busy`: the worker queue is full.
    public static let serverBusy = HTTPError(
        .serviceUnavailable, code: "server_busy", message: "server is busy, retry later",
        headers: ["Retry-After": "1"])
}

/// Minimal JSON string escaping (RFC 8259 §7) for the error renderer and for other hand-written JSON
/// (the structured log lines), so the output is byte-for-byte deterministic and independent of
/// Foundation's encoder settings. Escapes control characters and U+2028/U+2029.
public enum JSONText {
    /// Appends `string` to `out` as one quoted JSON string.
    public static func appendString(_ string: String, to out: inout String) {
        out += "\""
        if needsNoEscaping(string) {
            out += string  // the common case (ids, routes, messages): one copy, no per-scalar work
        } else {
            appendEscaped(string, to: &out)
        }
        out += "\""
    }

    /// True when no UTF-8 byte of `string` can start something `appendEscaped` would change: a control
    /// character, `"`, `\\`, or 0xE2 (the lead byte of U+2028/U+2029, and of other characters, which then
    /// merely take the slow path).
    static func needsNoEscaping(_ string: String) -> Bool {
        var string = string
        return string.withUTF8 { utf8 in
            for byte in utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0xE2 { return false }
            return true
        }
    }

    private static func appendEscaped(_ string: String, to out: inout String) {
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
    }
}
