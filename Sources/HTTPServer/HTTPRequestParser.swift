/// An incremental HTTP/1.1 request parser: bytes in, complete requests out.
///
/// Why it looks like this:
/// - It owns the connection's receive buffer and scans each byte once (it remembers where it stopped
///   looking for a line end), so a request split into many reads costs linear, not quadratic, time.
/// - It is pure (no sockets, no clock), so it is tested with tables split at every byte boundary and
///   fuzzed with libFuzzer.
/// - It is strict where leniency enables request smuggling (RFC 9112 §6.3, §11.2): both
///   `Content-Length` and `Transfer-Encoding`, a repeated or malformed `Content-Length`, any transfer
///   coding other than exactly `chunked`, bare LF or CR, obs-fold, whitespace before a colon and invalid
///   token characters are all errors. After an error the parser stays failed; the connection must close.
/// - Methods outside `HTTPMethod.known` are 501 as soon as the request line is in, and chunk-size lines
///   follow RFC 9112 §7.1.1 exactly (`chunk-size *( BWS ";" BWS name [ BWS "=" BWS value ] )`, the value
///   a token or a balanced quoted-string): `2;`, `a ` or `1;a="x` are 400.
///
/// Use: `append` received bytes, then call `next()` until it answers `.needMore`. Bodies are limited by
/// `maxBodyBytes` before they are read (declared length, or each announced chunk size).
public struct HTTPRequestParser: Sendable {
    /// Size limits; see `HTTPServerConfiguration` for their meaning.
    public struct Limits: Sendable, Equatable {
        public var maxHeaderBytes: Int
        public var maxHeaderCount: Int
        public var maxBodyBytes: Int
        /// Longest chunk-size line including extensions.
        public var maxChunkLineBytes: Int

        public init(maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 100, maxBodyBytes: Int = 1 << 20) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxBodyBytes = maxBodyBytes
            self.maxChunkLineBytes = 4096
        }
    }

    /// Why a request was rejected; each maps to one status.
    public enum ParseError: Error, Sendable, Equatable {
        case badRequest(String)
        case headerTooLarge
        case tooManyHeaders
        case bodyTooLarge
        case versionNotSupported
        case unsupportedTransferCoding
        case expectationFailed
        case methodNotImplemented

        /// The error response for this parse error.
        public var httpError: HTTPError {
            switch self {
            case .badRequest(let reason): HTTPError(.badRequest, code: "bad_request", message: reason)
            case .headerTooLarge:
                HTTPError(
                    .requestHeaderFieldsTooLarge, code: "header_too_large", message: "request header is too large")
            case .tooManyHeaders:
                HTTPError(.requestHeaderFieldsTooLarge, code: "too_many_headers", message: "too many header fields")
            case .bodyTooLarge:
                HTTPError(.payloadTooLarge, code: "payload_too_large", message: "request body is too large")
            case .versionNotSupported:
                HTTPError(
                    .httpVersionNotSupported, code: "http_version_not_supported", message: "only HTTP/1.x is supported")
            case .unsupportedTransferCoding:
                HTTPError(.notImplemented, code: "not_implemented", message: "unsupported transfer coding")
            case .expectationFailed:
                HTTPError(.expectationFailed, code: "expectation_failed", message: "unsupported expectation")
            case .methodNotImplemented:
                HTTPError(.notImplemented, code: "not_implemented", message: "request method is not implemented")
            }
        }
    }

    /// What `next()` produced.
    public enum Output: Sendable {
        /// Nothing complete yet; append more bytes.
        case needMore
        /// A head whose body is still to be read (only for requests with a body). Time to send
        /// `100 Continue` when the client expects it.
        case head(HTTPRequestHead)
        /// A complete request.
        case request(HTTPRequestHead, body: [UInt8])
        /// The input is invalid; the parser is now failed.
        case error(ParseError)
    }

    private enum Phase {
        case head, body, chunkLine, chunkData, chunkDataEnd, trailers, failed
    }

    /// The limits in force.
    public let limits: Limits
    private var buffer: [UInt8] = []
    /// Start of the unconsumed bytes in `buffer`.
    private var index = 0
    /// Bytes after `index` already scanned without finding a line feed.
    private var scanned = 0
    private var phase = Phase.head
    private var error: ParseError?

    // Head in progress.
    private var headBytes = 0
    private var requestLine: (method: HTTPMethod, target: String, minor: Int)?
    /// Method of the request being received (kept after an error, so its answer can honour HEAD).
    private var method: HTTPMethod?
    private var headers = HTTPHeaders()

    // Body in progress.
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var remaining = 0
    private var trailerBytes = 0
    private var trailerCount = 0

    /// A parser with `limits`.
    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Bytes received but not yet consumed by `next()`.
    public var bufferedByteCount: Int { buffer.count - index }

    /// Whether part of a request has been received (a byte of a head, or a head whose body is pending).
    public var hasPartialRequest: Bool { phase != .head || headBytes > 0 || bufferedByteCount > 0 }

    /// The method of the request being received or that failed, once its request line is in: an answer
    /// to a `HEAD` carries no body, errors and timeouts included (RFC 9110 §9.3.2).
    public var currentMethod: HTTPMethod? { method }

    /// Whether the current request's head is complete and its body is being read.
    public var isReadingBody: Bool { phase != .head && phase != .failed }

    /// Adds received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: [UInt8]) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Releases buffer memory while the connection is idle (keeps 10k idle connections cheap).
    public mutating func shrinkIfIdle() {
        if index == buffer.count && buffer.capacity > 4096 {
            buffer = []
            index = 0
        }
    }

    private mutating func compact() {
        guard index > 0 else { return }
        if index == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 65536)
            index = 0
        } else if index >= 4096 && index * 2 >= buffer.count {
            buffer.removeSubrange(0..<index)
            index = 0
        }
    }

    /// Parses as far as the buffered bytes allow.
    public mutating func next() -> Output {
        while true {
            switch phase {
            case .failed:
                return .error(error ?? .badRequest("invalid request"))
            case .head:
                switch nextLine(budget: limits.maxHeaderBytes - headBytes) {
                case .needMore: return .needMore
                case .tooLong: return fail(.headerTooLarge)
                case .malformed: return fail(.badRequest("invalid line ending"))
                case .line(let range, let length):
                    headBytes += length
                    if let output = headLine(range) { return output }
                }
            case .body:
                let available = buffer.count - index
                if available == 0 { return .needMore }
                let take = min(available, remaining)
                body.append(contentsOf: buffer[index..<(index + take)])
                index += take
                remaining -= take
                if remaining == 0 { return finish() }
            case .chunkLine:
                switch nextLine(budget: limits.maxChunkLineBytes) {
                case .needMore: return .needMore
                case .tooLong: return fail(.badRequest("chunk size line too long"))
                case .malformed: return fail(.badRequest("invalid line ending in chunked body"))
                case .line(let range, _):
                    if let output = chunkSizeLine(range) { return output }
                }
            case .chunkData:
                let available = buffer.count - index
                if available == 0 { return .needMore }
                let take = min(available, remaining)
                body.append(contentsOf: buffer[index..<(index + take)])
                index += take
                remaining -= take
                if remaining == 0 { phase = .chunkDataEnd }
            case .chunkDataEnd:
                if buffer.count - index < 2 {
                    if buffer.count - index == 1 && buffer[index] != 13 {
                        return fail(.badRequest("chunk data not followed by CRLF"))
                    }
                    return .needMore
                }
                guard buffer[index] == 13, buffer[index + 1] == 10 else {
                    return fail(.badRequest("chunk data not followed by CRLF"))
                }
                index += 2
                phase = .chunkLine
            case .trailers:
                switch nextLine(budget: limits.maxHeaderBytes - trailerBytes) {
                case .needMore: return .needMore
                case .tooLong: return fail(.headerTooLarge)
                case .malformed: return fail(.badRequest("invalid line ending in trailers"))
                case .line(let range, let length):
                    trailerBytes += length
                    if range.isEmpty { return finish() }
                    // Trailers are validated like headers and then discarded: they never become headers.
                    switch parseField(range) {
                    case .failure(let error): return fail(error)
                    case .success:
                        trailerCount += 1
                        if trailerCount > limits.maxHeaderCount { return fail(.tooManyHeaders) }
                    }
                }
            }
        }
    }

    // MARK: Lines

    private enum LineResult {
        case line(Range<Int>, length: Int)
        case needMore, tooLong, malformed
    }

    /// The next CRLF-terminated line (range excludes CRLF), consuming it. `budget` bounds its length.
    private mutating func nextLine(budget: Int) -> LineResult {
        let start = index
        let from = start + scanned
        let end = buffer.count
        let lf: Int? = buffer.withUnsafeBufferPointer { bytes in
            var i = from
            while i < end {
                if bytes[i] == 10 { return i }
                i += 1
            }
            return nil
        }
        guard let lf else {
            scanned = end - start
            return scanned >= budget ? .tooLong : .needMore
        }
        let length = lf + 1 - start
        if length > budget { return .tooLong }
        guard lf > start, buffer[lf - 1] == 13 else { return .malformed }
        let content = start..<(lf - 1)
        if buffer[content].contains(13) { return .malformed }
        index = lf + 1
        scanned = 0
        return .line(content, length: length)
    }

    // MARK: Head

    private mutating func headLine(_ range: Range<Int>) -> Output? {
        if requestLine == nil {
            // RFC 9112 §2.2: ignore empty lines before the request line (bounded by the header budget).
            if range.isEmpty { return nil }
            switch parseRequestLine(range) {
            case .success(let line):
                method = line.0
                guard line.0.isKnown else { return fail(.methodNotImplemented) }
                requestLine = line
                headers.reserveCapacity(12)
            case .failure(let error): return fail(error)
            }
            return nil
        }
        if range.isEmpty { return headComplete() }
        switch parseField(range) {
        case .failure(let error): return fail(error)
        case .success(let field):
            headers.add(field.name, field.value)
            if headers.count > limits.maxHeaderCount { return fail(.tooManyHeaders) }
            return nil
        }
    }

    private func parseRequestLine(_ range: Range<Int>) -> Result<(HTTPMethod, String, Int), ParseError> {
        let line = buffer[range]
        guard let firstSpace = line.firstIndex(of: 32) else { return .failure(.badRequest("malformed request line")) }
        let methodBytes = line[line.startIndex..<firstSpace]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(Self.isTokenByte) else {
            return .failure(.badRequest("invalid method"))
        }
        let afterMethod = line[(firstSpace + 1)...]
        guard let secondSpace = afterMethod.firstIndex(of: 32) else {
            return .failure(.badRequest("malformed request line"))
        }
        let targetBytes = afterMethod[afterMethod.startIndex..<secondSpace]
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(.badRequest("invalid request target"))
        }
        let version = line[(secondSpace + 1)...]
        let minor: Int
        if version.elementsEqual("HTTP/1.1".utf8) {
            minor = 1
        } else if version.elementsEqual("HTTP/1.0".utf8) {
            minor = 0
        } else if version.count == 8, version.starts(with: "HTTP/".utf8),
            Self.isDigit(version[version.startIndex + 5]), version[version.startIndex + 6] == UInt8(ascii: "."),
            Self.isDigit(version[version.startIndex + 7])
        {
            return .failure(.versionNotSupported)
        } else {
            return .failure(.badRequest("malformed HTTP version"))
        }
        let method = HTTPMethod(String(decoding: methodBytes, as: UTF8.self))
        let target = String(decoding: targetBytes, as: UTF8.self)
        if target.utf8.first != UInt8(ascii: "/") {
            let isAsterisk = target == "*" && method == .options
            let isAbsolute = target.hasPrefix("http://") || target.hasPrefix("https://")
            guard isAsterisk || isAbsolute else { return .failure(.badRequest("invalid request target")) }
        }
        return .success((method, target, minor))
    }

    private func parseField(_ range: Range<Int>) -> Result<(name: String, value: String), ParseError> {
        let line = buffer[range]
        guard let first = line.first else { return .failure(.badRequest("empty header field")) }
        if first == 32 || first == 9 { return .failure(.badRequest("obsolete line folding is not allowed")) }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            return .failure(.badRequest("header field without colon"))
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else {
            return .failure(.badRequest("invalid header field name"))
        }
        var valueStart = colon + 1
        var valueEnd = line.endIndex
        while valueStart < valueEnd && (line[valueStart] == 32 || line[valueStart] == 9) { valueStart += 1 }
        while valueEnd > valueStart && (line[valueEnd - 1] == 32 || line[valueEnd - 1] == 9) { valueEnd -= 1 }
        let value = line[valueStart..<valueEnd]
        for byte in value where (byte < 0x20 && byte != 9) || byte == 0x7F {
            return .failure(.badRequest("invalid character in header field value"))
        }
        return .success((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    private mutating func headComplete() -> Output {
        guard let (method, target, minor) = requestLine else { return fail(.badRequest("missing request line")) }
        // One pass over the fields for every framing-relevant name (the arrays only allocate when the
        // field is present, which for most requests is none of them but Host).
        var hostCount = 0
        var transferEncodings: [String] = []
        var contentLengths: [String] = []
        var connectionValues: [String] = []
        var expectations: [String] = []
        for field in headers {
            switch field.name.utf8.count {
            case 4 where HTTPHeaders.equalsIgnoringCase(field.name, "Host"): hostCount += 1
            case 17 where HTTPHeaders.equalsIgnoringCase(field.name, "Transfer-Encoding"):
                transferEncodings.append(field.value)
            case 14 where HTTPHeaders.equalsIgnoringCase(field.name, "Content-Length"):
                contentLengths.append(field.value)
            case 10 where HTTPHeaders.equalsIgnoringCase(field.name, "Connection"):
                connectionValues.append(field.value)
            case 6 where HTTPHeaders.equalsIgnoringCase(field.name, "Expect"): expectations.append(field.value)
            default: break
            }
        }
        if hostCount > 1 || (minor == 1 && hostCount == 0) {
            return fail(.badRequest("exactly one Host header is required"))
        }
        var framing = HTTPRequestHead.Framing.none
        if !transferEncodings.isEmpty {
            if !contentLengths.isEmpty {
                return fail(.badRequest("both Content-Length and Transfer-Encoding"))
            }
            if minor == 0 { return fail(.badRequest("Transfer-Encoding in an HTTP/1.0 request")) }
            let codings = Self.listElements(transferEncodings)
            if codings == ["chunked"] {
                framing = .chunked
            } else if codings.filter({ $0 == "chunked" }).count > 1 {
                return fail(.badRequest("chunked applied more than once"))
            } else if codings.last == "chunked" {
                return fail(.unsupportedTransferCoding)
            } else {
                return fail(.badRequest("chunked must be the final transfer coding"))
            }
        } else if !contentLengths.isEmpty {
            guard contentLengths.count == 1 else { return fail(.badRequest("repeated Content-Length")) }
            let text = contentLengths[0].utf8
            guard !text.isEmpty, text.allSatisfy(Self.isDigit) else {
                return fail(.badRequest("invalid Content-Length"))
            }
            let significant = text.drop(while: { $0 == UInt8(ascii: "0") })
            guard significant.count <= 18 else { return fail(.bodyTooLarge) }
            let length = significant.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            if length > limits.maxBodyBytes { return fail(.bodyTooLarge) }
            if length > 0 { framing = .length(length) }
        }
        let connection = Self.listElements(connectionValues)
        let keepAlive = connection.contains("close") ? false : (minor == 1 || connection.contains("keep-alive"))
        var expectContinue = false
        if !expectations.isEmpty {
            guard Self.listElements(expectations) == ["100-continue"] else { return fail(.expectationFailed) }
            expectContinue = minor == 1
        }
        let head = HTTPRequestHead(
            method: method, target: target, versionMinor: minor, headers: headers, framing: framing,
            keepAlive: keepAlive, expectContinue: expectContinue && framing != .none)
        requestLine = nil
        headers = HTTPHeaders()
        headBytes = 0
        switch framing {
        case .none:
            self.method = nil
            return .request(head, body: [])
        case .length(let length):
            self.head = head
            remaining = length
            body = []
            body.reserveCapacity(length)
            phase = .body
            return .head(head)
        case .chunked:
            self.head = head
            body = []
            trailerBytes = 0
            trailerCount = 0
            phase = .chunkLine
            return .head(head)
        }
    }

    // MARK: Chunked

    private mutating func chunkSizeLine(_ range: Range<Int>) -> Output? {
        let line = buffer[range]
        var i = line.startIndex
        var size = 0
        var digits = 0
        while i < line.endIndex, let value = RequestTarget.hexValue(line[i]) {
            if size > 0 || value > 0 { digits += 1 }
            if digits > 15 { return fail(.bodyTooLarge) }
            size = size << 4 | Int(value)
            i += 1
        }
        if i == line.startIndex { return fail(.badRequest("invalid chunk size")) }
        guard Self.isValidChunkExtensions(line[i...]) else { return fail(.badRequest("invalid chunk extension")) }
        if size == 0 {
            phase = .trailers
            return nil
        }
        if size > limits.maxBodyBytes - body.count { return fail(.bodyTooLarge) }
        remaining = size
        phase = .chunkData
        return nil
    }

    /// RFC 9112 §7.1.1: `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`, where a name is
    /// a token and a value a token or a quoted-string (RFC 9110 §5.6.4). Contents are ignored.
    static func isValidChunkExtensions(_ bytes: ArraySlice<UInt8>) -> Bool {
        var i = bytes.startIndex
        let end = bytes.endIndex
        func skipBWS() { while i < end && (bytes[i] == 32 || bytes[i] == 9) { i += 1 } }
        func token() -> Bool {
            let start = i
            while i < end && isTokenByte(bytes[i]) { i += 1 }
            return i > start
        }
        while i < end {
            skipBWS()
            guard i < end, bytes[i] == UInt8(ascii: ";") else { return false }
            i += 1
            skipBWS()
            guard token() else { return false }
            let afterName = i
            skipBWS()
            guard i < end, bytes[i] == UInt8(ascii: "=") else {
                // No value: the next ";" follows, or the line ends right here (BWS only precedes ";").
                if i == end && i != afterName { return false }
                continue
            }
            i += 1
            skipBWS()
            guard i < end else { return false }
            if bytes[i] == UInt8(ascii: "\"") {
                i += 1
                var closed = false
                while i < end {
                    let byte = bytes[i]
                    if byte == UInt8(ascii: "\"") {
                        closed = true
                        i += 1
                        break
                    }
                    if byte == UInt8(ascii: "\\") {
                        i += 1
                        guard i < end, isQuotedPairByte(bytes[i]) else { return false }
                    } else if !isQDTextByte(byte) {
                        return false
                    }
                    i += 1
                }
                guard closed else { return false }
            } else if !token() {
                return false
            }
        }
        return true
    }

    /// qdtext: HTAB, SP, VCHAR except `"` and `\`, obs-text.
    @inline(__always) static func isQDTextByte(_ byte: UInt8) -> Bool {
        byte == 9 || byte == 32 || byte == 0x21 || (byte >= 0x23 && byte <= 0x5B) || (byte >= 0x5D && byte != 0x7F)
    }

    /// The byte after a backslash in a quoted-pair: HTAB, SP, VCHAR, obs-text.
    @inline(__always) static func isQuotedPairByte(_ byte: UInt8) -> Bool {
        byte == 9 || (byte >= 0x20 && byte != 0x7F)
    }

    // MARK: Helpers

    private mutating func finish() -> Output {
        let head = self.head!
        let body = self.body
        self.head = nil
        method = nil
        self.body = []
        phase = .head
        return .request(head, body: body)
    }

    private mutating func fail(_ error: ParseError) -> Output {
        self.error = error
        phase = .failed
        head = nil
        body = []
        return .error(error)
    }

    /// Comma-separated list elements of all `values`, trimmed and lower-cased; empty elements dropped.
    static func listElements(_ values: [String]) -> [String] {
        var out: [String] = []
        for value in values {
            for element in value.split(separator: ",") {
                let trimmed = element.trimmingOWS()
                if !trimmed.isEmpty { out.append(trimmed.lowercased()) }
            }
        }
        return out
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// RFC 9110 tchar.
    @inline(__always) static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    func trimmingOWS() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
