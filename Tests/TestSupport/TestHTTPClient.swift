import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A response read by `TestHTTPClient` / `RawHTTPConnection`.
public struct TestHTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The header fields in order.
    public var headers: [(String, String)]
    /// The body bytes (de-chunked).
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object.
    public func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw TestHTTPError("body is not a JSON object: \(text)")
        }
        return object
    }
}

/// A failure of the test client (connect, timeout, malformed response).
public struct TestHTTPError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A blocking HTTP/1.1 client for tests: one request per connection, real sockets, bounded waits.
public enum TestHTTPClient {
    /// Sends one request to `127.0.0.1:port` and reads the response (`Connection: close`).
    public static func request(
        port: Int, method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: Duration = .seconds(10), source: String? = nil
    ) throws -> TestHTTPResponse {
        let connection = try RawHTTPConnection(port: port, timeout: timeout, source: source)
        defer { connection.close() }
        var head = "\(method) \(path) HTTP/1.1\r\n"
        let names = Set(headers.map { $0.0.lowercased() })
        if !names.contains("host") { head += "Host: 127.0.0.1:\(port)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !names.contains("content-length") && !names.contains("transfer-encoding")
            && (!body.isEmpty || ["POST", "PUT", "PATCH"].contains(method))
        {
            head += "Content-Length: \(body.count)\r\n"
        }
        if !names.contains("connection") { head += "Connection: close\r\n" }
        head += "\r\n"
        try connection.send(Array(head.utf8) + body)
        return try connection.readResponse(headRequest: method == "HEAD")
    }
}

/// A raw TCP connection for framing tests: send exact bytes, read responses or observe the close.
/// Every read is bounded by `timeout`.
public final class RawHTTPConnection: @unchecked Sendable {
    // `@unchecked`: a connection is used by one test at a time; it has no shared state.
    public let fd: Int32
    public var timeout: Duration
    private var buffer: [UInt8] = []

    /// Connects to `127.0.0.1:port` (optionally with a small receive buffer, to test back-pressure).
    /// Connects to `127.0.0.1:port`; `source` binds the local end to another loopback address first
    /// (e.g. `127.0.0.2`), so a test can play several clients.
    public init(port: Int, timeout: Duration = .seconds(10), receiveBuffer: Int? = nil, source: String? = nil) throws {
        self.timeout = timeout
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestHTTPError("socket: errno \(errno)") }
        if let source {
            var local = sockaddr_in()
            guard inet_pton(AF_INET, source, &local.sin_addr) == 1 else { throw TestHTTPError("bad source \(source)") }
            try Self.call(bind, fd, local, port: 0, "bind \(source)")
        }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        try Self.call(connect, fd, address, port: port, "connect to port \(port)")
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// `bind` or `connect` of `fd` to `address` (family and `port` filled in); throws on failure.
    private static func call(
        _ function: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32, _ fd: Int32, _ address: sockaddr_in,
        port: Int, _ what: String
    ) throws {
        var address = address
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                function(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        // Never close `fd` here: the throwing init has already set it, so deinit closes it. Closing it
        // twice could close a descriptor another thread (libpq, a server) has opened meanwhile.
        guard rc == 0 else { throw TestHTTPError("\(what): errno \(errno)") }
    }

    deinit { Glibc.close(fd) }

    /// Shuts the socket down (the fd is closed on deinit).
    public func close() { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    /// Sends all of `bytes` (blocking).
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw TestHTTPError("send: errno \(errno)")
            }
            offset += n
        }
    }

    /// Sends `text` as UTF-8.
    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Half-closes the sending side.
    public func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Reads more bytes into the buffer; false on EOF. Throws on timeout.
    @discardableResult
    private func fill(deadline: ContinuousClock.Instant) throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { throw TestHTTPError("timed out waiting for the server") }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(
                min(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000), 60000)
            )
            let ready = poll(&pfd, 1, ms)
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return true
            }
            if n == 0 { return false }
            if errno == EINTR || errno == EAGAIN { continue }
            if errno == ECONNRESET { return false }
            throw TestHTTPError("recv: errno \(errno)")
        }
    }

    /// Reads one response. `headRequest` = the request was HEAD (no body follows). Skips 1xx unless
    /// `returnInterim`.
    public func readResponse(headRequest: Bool = false, returnInterim: Bool = false) throws -> TestHTTPResponse {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let headEnd = try readUntilHeadEnd(deadline: deadline)
            let headText = String(decoding: buffer[0..<headEnd], as: UTF8.self)
            buffer.removeFirst(headEnd + 4)
            var lines = headText.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst()
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, let status = Int(parts[1]) else {
                throw TestHTTPError("bad status line: \(statusLine)")
            }
            var headers: [(String, String)] = []
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { throw TestHTTPError("bad header: \(line)") }
                headers.append(
                    (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            var response = TestHTTPResponse(status: status, headers: headers, body: [])
            if (100..<200).contains(status) {
                if returnInterim { return response }
                continue
            }
            if headRequest || status == 204 || status == 304 { return response }
            if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
                response.body = try readChunked(deadline: deadline)
            } else if let length = response.header("Content-Length").flatMap(Int.init) {
                while buffer.count < length {
                    guard try fill(deadline: deadline) else { throw TestHTTPError("EOF inside body") }
                }
                response.body = Array(buffer[0..<length])
                buffer.removeFirst(length)
            } else {
                while try fill(deadline: deadline) {}
                response.body = buffer
                buffer = []
            }
            return response
        }
    }

    private func readUntilHeadEnd(deadline: ContinuousClock.Instant) throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= 4 {
                var i = searchFrom
                while i + 3 < buffer.count {
                    if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 { return i }
                    i += 1
                }
                searchFrom = max(0, buffer.count - 3)
            }
            guard try fill(deadline: deadline) else {
                throw TestHTTPError("connection closed before a response (\(buffer.count) bytes buffered)")
            }
        }
    }

    private func readChunked(deadline: ContinuousClock.Instant) throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let lineEnd = try readLine(deadline: deadline)
            let sizeText = String(decoding: buffer[0..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            buffer.removeFirst(lineEnd + 2)
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw TestHTTPError("bad chunk size")
            }
            if size == 0 {
                while true {
                    let end = try readLine(deadline: deadline)
                    buffer.removeFirst(end + 2)
                    if end == 0 { return body }
                }
            }
            while buffer.count < size + 2 {
                guard try fill(deadline: deadline) else { throw TestHTTPError("EOF inside chunk") }
            }
            body.append(contentsOf: buffer[0..<size])
            buffer.removeFirst(size + 2)
        }
    }

    private func readLine(deadline: ContinuousClock.Instant) throws -> Int {
        while true {
            if let i = buffer.indices.dropLast().first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 }) { return i }
            guard try fill(deadline: deadline) else { throw TestHTTPError("EOF inside chunked body") }
        }
    }

    /// Waits until the server closes the connection (EOF or reset); returns the bytes received meanwhile.
    /// Throws when it is still open after `within`.
    public func readUntilClosed(within: Duration? = nil) throws -> [UInt8] {
        let deadline = ContinuousClock.now.advanced(by: within ?? timeout)
        while try fill(deadline: deadline) {}
        let all = buffer
        buffer = []
        return all
    }

    /// Bytes received and not yet consumed by a read call.
    public var unread: [UInt8] { buffer }
}
