import CCurl

/// What one submission came to. Descriptions are safe to store and log: no password, no message text.
public enum SMTPOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The server took the message (its final answer, normally 250).
    case sent(code: Int)
    /// It may pass: a 4xx answer, no connection, a timeout, TLS or AUTH trouble. Retry later.
    case temporary(code: Int?, detail: String)
    /// A 5xx answer to the sender, a recipient or the message: sending it again cannot help.
    case permanent(code: Int, detail: String)

    public var description: String {
        switch self {
        case .sent(let code): return "accepted (\(code))"
        case .temporary(let code, let detail):
            return "temporary failure" + (code.map { " \($0)" } ?? "") + ": \(detail)"
        case .permanent(let code, let detail): return "rejected \(code): \(detail)"
        }
    }
}

/// Submits one message over SMTP with libcurl (STARTTLS or implicit TLS, certificate checked, AUTH when
/// the server has credentials). Blocking: call it from the outbox worker's threads. One connection per
/// message, no pooling (a shop's order mail is a few messages a minute).
public struct SMTPClient: Sendable {
    public let server: SMTPServer

    public init(server: SMTPServer) {
        self.server = server
        _ = Self.globalInit
    }

    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Sends `message` (RFC 5322 bytes with CRLF line ends) from `from` to `recipients` (bare addresses).
    public func send(from: String, to recipients: [String], message: [UInt8]) -> SMTPOutcome {
        guard let handle = curl_easy_init() else { return .temporary(code: nil, detail: "libcurl could not start") }
        defer { curl_easy_cleanup(handle) }
        var list: UnsafeMutablePointer<curl_slist>?
        for recipient in recipients { list = curl_slist_append(list, "<\(recipient)>") }
        defer { curl_slist_free_all(list) }
        let body = Body(message)
        let context = Unmanaged.passRetained(body)
        defer { context.release() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { buffer in
            var setup = [
                ccurl_setopt_string(handle, CURLOPT_URL, server.curlURL),
                ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps"),
                ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
                ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(server.timeout * 1000)),
                ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(min(server.timeout, 10) * 1000)),
                ccurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(from)>"),
                ccurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, list),
                ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1),
                ccurl_setopt_long(handle, CURLOPT_INFILESIZE_LARGE, message.count),
                ccurl_setopt_read_function(handle, readBody),
                ccurl_setopt_pointer(handle, CURLOPT_READDATA, context.toOpaque()),
                ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress),
            ]
            if server.security != .none {
                setup.append(ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)))
            }
            if let caFile = server.caFile { setup.append(ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile)) }
            if let username = server.username { setup.append(ccurl_setopt_string(handle, CURLOPT_USERNAME, username)) }
            if let password = server.password { setup.append(ccurl_setopt_string(handle, CURLOPT_PASSWORD, password)) }
            if let failed = setup.first(where: { $0 != CURLE_OK }) { return failed }
            return curl_easy_perform(handle)
        }
        var response = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &response)
        let detail = Self.detail(code, errorBuffer)
        return Self.outcome(curlCode: Int(code.rawValue), response: response, detail: detail)
    }

    /// The rule, apart so it is tested without a server: OK → sent; AUTH refused → temporary (a fault of
    /// the configuration, not of the message: it goes once the credentials are fixed); a 5xx final answer
    /// → permanent; everything else (4xx, no answer, TLS) → temporary.
    public static func outcome(curlCode: Int, response: Int, detail: String) -> SMTPOutcome {
        if curlCode == Int(CURLE_OK.rawValue) { return .sent(code: response == 0 ? 250 : response) }
        if curlCode == Int(CURLE_LOGIN_DENIED.rawValue) {
            return .temporary(code: response == 0 ? nil : response, detail: "authentication failed: \(detail)")
        }
        if (500..<600).contains(response) { return .permanent(code: response, detail: detail) }
        return .temporary(code: (400..<500).contains(response) ? response : nil, detail: detail)
    }

    private static func detail(_ code: CURLcode, _ buffer: [CChar]) -> String {
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let reason = String(cString: curl_easy_strerror(code))
        return String((text.isEmpty ? reason : "\(reason): \(text)").prefix(300))
    }
}

/// The message bytes libcurl reads through ``readBody``.
private final class Body {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

private let readBody: ccurl_read_callback = { buffer, size, count, context in
    guard let buffer, let context else { return 0 }
    let body = Unmanaged<Body>.fromOpaque(context).takeUnretainedValue()
    let n = min(size * count, body.bytes.count - body.offset)
    guard n > 0 else { return 0 }
    body.bytes.withUnsafeBufferPointer { source in
        UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + body.offset, byteCount: n)
    }
    body.offset += n
    return n
}
