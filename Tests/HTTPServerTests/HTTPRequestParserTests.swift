import Testing

@testable import HTTPServer

/// What a parser run produced: the complete requests, then the error that stopped it (if any).
struct ParseRun: Equatable, CustomStringConvertible {
    struct Request: Equatable {
        var method: String
        var target: String
        var minor: Int
        var body: [UInt8]
        var keepAlive: Bool
        var expectContinue: Bool
        var headerCount: Int
    }

    var requests: [Request] = []
    var heads = 0
    var errorStatus: Int?

    var description: String {
        "requests=\(requests.map { "\($0.method) \($0.target) body=\($0.body.count)" }) heads=\(heads) error=\(errorStatus.map(String.init) ?? "-")"
    }

    /// Feeds `pieces` one after another, draining the parser after each.
    static func run(_ pieces: [ArraySlice<UInt8>], limits: HTTPRequestParser.Limits) -> ParseRun {
        var parser = HTTPRequestParser(limits: limits)
        var run = ParseRun()
        outer: for piece in pieces {
            parser.append(Array(piece))
            while true {
                switch parser.next() {
                case .needMore: continue outer
                case .head: run.heads += 1
                case .request(let head, let body):
                    run.requests.append(
                        Request(
                            method: head.method.rawValue, target: head.target, minor: head.versionMinor, body: body,
                            keepAlive: head.keepAlive, expectContinue: head.expectContinue,
                            headerCount: head.headers.count))
                case .error(let error):
                    run.errorStatus = error.httpError.status.code
                    break outer
                }
            }
        }
        return run
    }
}

/// One table row: raw input and what must come out of it.
struct ParserCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    /// (method, target, body) of each complete request, in order.
    var requests: [(String, String, String)]
    var errorStatus: Int?
    var limits = HTTPRequestParser.Limits(maxHeaderBytes: 512, maxHeaderCount: 8, maxBodyBytes: 64)

    init(_ name: String, _ input: String, _ requests: [(String, String, String)] = [], error: Int? = nil) {
        self.name = name
        self.input = Array(input.utf8)
        self.requests = requests
        self.errorStatus = error
    }

    init(_ name: String, bytes: [UInt8], _ requests: [(String, String, String)] = [], error: Int? = nil) {
        self.name = name
        self.input = bytes
        self.requests = requests
        self.errorStatus = error
    }

    var testDescription: String { name }
}

let validCases: [ParserCase] = [
    ParserCase("simple GET", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", [("GET", "/", "")]),
    ParserCase(
        "headers with repeats and OWS", "GET /x?y=1 HTTP/1.1\r\nHost: a\r\nVia: 1\r\nvia:  2 \r\nX-E:\r\n\r\n",
        [("GET", "/x?y=1", "")]),
    ParserCase(
        "POST with Content-Length", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        [("POST", "/p", "hello")]),
    ParserCase(
        "Content-Length zero", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 000\r\n\r\n", [("POST", "/p", "")]),
    ParserCase(
        "chunked with extension and trailer",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=\"v\"\r\nhello\r\n6 ; x\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        [("POST", "/c", "hello world")]),
    ParserCase(
        "chunked upper-case hex and leading zeros",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n000A\r\n0123456789\r\n00\r\n\r\n",
        [("POST", "/c", "0123456789")]),
    ParserCase(
        "chunked empty body", "POST /c HTTP/1.1\r\nHost: a\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
        [("POST", "/c", "")]),
    ParserCase(
        "pipelined requests",
        "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nokGET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
        [("GET", "/1", ""), ("POST", "/2", "ok"), ("GET", "/3", "")]),
    ParserCase("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", [("GET", "/", "")]),
    ParserCase("leading empty line ignored", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", [("GET", "/", "")]),
    ParserCase("absolute-form target", "GET http://a/b?c HTTP/1.1\r\nHost: a\r\n\r\n", [("GET", "http://a/b?c", "")]),
    ParserCase("OPTIONS asterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", [("OPTIONS", "*", "")]),
    ParserCase(
        "obs-text in value",
        bytes: Array("GET / HTTP/1.1\r\nHost: a\r\nX: caf".utf8) + [0xC3, 0xA9] + Array("\r\n\r\n".utf8),
        [("GET", "/", "")]),
    ParserCase(
        "every known method",
        ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"].map { "\($0) /m HTTP/1.1\r\nHost: a\r\n\r\n" }
            .joined(),
        ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"].map { ($0, "/m", "") }),
    ParserCase(
        "chunk extensions to the grammar",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a;b=c\r\nx\r\n1 ;\tq = \"s\\\"t;\"\r\ny\r\n0;z\r\n\r\n",
        [("POST", "/c", "xy")]),
    ParserCase(
        "Expect 100-continue", "PUT /e HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx",
        [("PUT", "/e", "x")]),
    ParserCase(
        "binary body kept raw",
        bytes: Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n".utf8) + [0, 13, 10, 0xFF],
        [("POST", "/", "\u{0}\r\n\u{FFFD}")]),
]

let invalidCases: [ParserCase] = [
    // Smuggling and framing (RFC 9112 §6.3, §11.2).
    ParserCase(
        "Content-Length and Transfer-Encoding",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", error: 400),
    ParserCase(
        "repeated identical Content-Length",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        error: 400),
    ParserCase(
        "differing Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
        error: 400),
    ParserCase("Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx", error: 400),
    ParserCase("negative Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", error: 400),
    ParserCase("signed Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx", error: 400),
    ParserCase("hex Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x1\r\n\r\nx", error: 400),
    ParserCase("empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", error: 400),
    ParserCase("gzip only", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", error: 400),
    ParserCase(
        "chunked not final", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", error: 400),
    ParserCase(
        "chunked twice",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        error: 400),
    ParserCase("identity coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", error: 400),
    ParserCase(
        "chunked with parameter", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", error: 400),
    ParserCase(
        "unknown coding before chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        error: 501),
    ParserCase(
        "Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", error: 400),
    ParserCase("bare LF in request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", error: 400),
    ParserCase("bare LF ending headers", "GET / HTTP/1.1\r\nHost: a\n\n", error: 400),
    ParserCase("bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", error: 400),
    ParserCase("bare CR in request line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", error: 400),
    ParserCase("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", error: 400),
    ParserCase("obs-fold with tab", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", error: 400),
    ParserCase("whitespace before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", error: 400),
    ParserCase(
        "whitespace before colon on Transfer-Encoding",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 1\r\n\r\nx", error: 400),
    ParserCase("invalid header name", "GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n", error: 400),
    ParserCase("empty header name", "GET / HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n", error: 400),
    ParserCase("header without colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", error: 400),
    ParserCase(
        "NUL in value", bytes: Array("GET / HTTP/1.1\r\nHost: a\r\nX: a".utf8) + [0] + Array("\r\n\r\n".utf8),
        error: 400),
    ParserCase("invalid method", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", error: 400),
    ParserCase("double space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", error: 400),
    ParserCase("missing version", "GET /\r\nHost: a\r\n\r\n", error: 400),
    ParserCase("lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", error: 400),
    ParserCase("trailing junk after version", "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", error: 400),
    ParserCase("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", error: 505),
    ParserCase("relative target", "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", error: 400),
    ParserCase(
        "non-ASCII target", bytes: Array("GET /".utf8) + [0xC3, 0xA9] + Array(" HTTP/1.1\r\nHost: a\r\n\r\n".utf8),
        error: 400),
    ParserCase("missing Host in 1.1", "GET / HTTP/1.1\r\nX: 1\r\n\r\n", error: 400),
    ParserCase("two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", error: 400),
    ParserCase("Expect other than 100-continue", "GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", error: 417),
    // Chunked syntax.
    ParserCase(
        "invalid chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", error: 400),
    ParserCase("empty chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", error: 400),
    ParserCase(
        "negative chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", error: 400),
    ParserCase(
        "chunk data without CRLF",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n",
        error: 400),
    ParserCase(
        "chunk size with bare LF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n",
        error: 400),
    ParserCase(
        "control character in chunk extension",
        bytes: Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a".utf8) + [1]
            + Array("\r\nx\r\n0\r\n\r\n".utf8),
        error: 400),
    ParserCase(
        "obs-fold in trailer",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\n 2\r\n\r\n",
        error: 400),
    // Methods outside HTTPMethod.known: 501 before any header is looked at (RFC 9110 §9.1).
    ParserCase("unknown method PROPFIND", "PROPFIND /d HTTP/1.1\r\nHost: a\r\n\r\n", error: 501),
    ParserCase("unknown method MKCOLA", "MKCOLA / HTTP/1.1\r\nHost: a\r\n\r\n", error: 501),
    ParserCase("unknown method ANNOUNCE", "ANNOUNCE / HTTP/1.1\r\nHost: a\r\n\r\n", error: 501),
    ParserCase("lower-case get", "get / HTTP/1.1\r\nHost: a\r\n\r\n", error: 501),
    ParserCase("CONNECT (authority-form target)", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", error: 400),
    ParserCase("TRACE", "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", error: 501),
    ParserCase("unknown method even with a bad header after it", "FOO / HTTP/1.1\r\nHost : a\r\n\r\n", error: 501),
    // Chunk-size lines (RFC 9112 §7.1.1).
    ParserCase(
        "chunk extension without name",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2;\r\nab\r\n0\r\n\r\n", error: 400),
    ParserCase(
        "whitespace after chunk size",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\na \r\n0123456789\r\n0\r\n\r\n",
        error: 400),
    ParserCase(
        "whitespace after chunk extension",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a \r\nx\r\n0\r\n\r\n", error: 400),
    ParserCase(
        "unbalanced quoted chunk extension",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\"x\r\nx\r\n0\r\n\r\n", error: 400),
    ParserCase(
        "quoted chunk extension ending in an escape",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\"x\\\"\r\nx\r\n0\r\n\r\n",
        error: 400),
    ParserCase(
        "chunk extension with empty value",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\r\nx\r\n0\r\n\r\n", error: 400),
    ParserCase(
        "chunk extension value that is not a token",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=b@c\r\nx\r\n0\r\n\r\n", error: 400),
    ParserCase(
        "chunk extension with value only",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;=v\r\nx\r\n0\r\n\r\n", error: 400),
    ParserCase(
        "junk between chunk extensions",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=b c\r\nx\r\n0\r\n\r\n", error: 400),
    ParserCase(
        "bad extension on the last chunk",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0;\r\n\r\n", error: 400),
    // Limits (maxHeaderBytes 512, maxHeaderCount 8, maxBodyBytes 64 in this table).
    ParserCase(
        "header bytes over limit", "GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "a", count: 600))\r\n\r\n",
        error: 431),
    ParserCase(
        "request line over limit", "GET /\(String(repeating: "a", count: 600)) HTTP/1.1\r\nHost: a\r\n\r\n", error: 431),
    ParserCase("endless leading empty lines", String(repeating: "\r\n", count: 300), error: 431),
    ParserCase(
        "too many headers", "GET / HTTP/1.1\r\nHost: a\r\n" + (1...8).map { "X\($0): 1\r\n" }.joined() + "\r\n",
        error: 431),
    ParserCase("declared body over limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65\r\n\r\n", error: 413),
    ParserCase(
        "huge Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        error: 413),
    ParserCase(
        "chunks over limit",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n\(String(repeating: "a", count: 32))\r\n21\r\n",
        error: 413),
    ParserCase(
        "huge chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffff\r\n",
        error: 413),
    ParserCase(
        "chunk line too long",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;\(String(repeating: "e", count: 5000))\r\nx\r\n0\r\n\r\n",
        error: 400),
    ParserCase(
        "trailers over limit",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: \(String(repeating: "t", count: 600))\r\n\r\n",
        error: 431),
]

@Suite("HTTPRequestParser")
struct HTTPRequestParserTests {
    private func check(_ testCase: ParserCase) {
        let whole = ParseRun.run([testCase.input[...]], limits: testCase.limits)
        #expect(whole.requests.map { ($0.method) } == testCase.requests.map(\.0), "\(testCase.name): \(whole)")
        #expect(whole.requests.map(\.target) == testCase.requests.map(\.1))
        #expect(
            whole.requests.map { String(decoding: $0.body, as: UTF8.self) } == testCase.requests.map(\.2),
            "\(testCase.name)")
        #expect(whole.errorStatus == testCase.errorStatus, "\(testCase.name): \(whole)")
        // The same outcome whatever the read boundaries: split at every byte, and byte by byte.
        let input = testCase.input
        for split in 1..<max(1, input.count) {
            let run = ParseRun.run([input[..<split], input[split...]], limits: testCase.limits)
            if run != whole {
                Issue.record("\(testCase.name): split at \(split) gave \(run), whole gave \(whole)")
                return
            }
        }
        let bytewise = ParseRun.run(input.indices.map { input[$0...$0] }, limits: testCase.limits)
        #expect(bytewise == whole, "\(testCase.name): byte by byte")
    }

    @Test(arguments: validCases) func parsesValidRequests(_ testCase: ParserCase) {
        check(testCase)
    }

    @Test(arguments: invalidCases) func rejectsInvalidRequests(_ testCase: ParserCase) {
        check(testCase)
    }

    @Test func headAttributes() {
        let run = ParseRun.run(
            [
                Array(
                    "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\nGET /d HTTP/1.1\r\nHost: a\r\nConnection: upgrade, keep-alive\r\n\r\n"
                        .utf8)[...]
            ], limits: .init())
        #expect(run.requests.map(\.keepAlive) == [true, false, false, true])
        #expect(run.requests.map(\.minor) == [0, 0, 1, 1])
        let expect = ParseRun.run(
            [Array("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab".utf8)[...]],
            limits: .init())
        #expect(expect.requests.first?.expectContinue == true)
        #expect(expect.heads == 1)
    }

    @Test func repeatedHeadersAreKeptInOrderAndLookupIsCaseInsensitive() {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\nVia: 1\r\nX-Y: z\r\nVIA: 2\r\n\r\n".utf8))
        guard case .request(let head, _) = parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(head.headers.values("via") == ["1", "2"])
        #expect(head.headers["x-y"] == "z")
        #expect(head.headers["Missing"] == nil)
    }

    @Test func staysFailedAfterAnError() {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\r\nHost : a\r\n\r\n".utf8))
        guard case .error = parser.next() else {
            Issue.record("expected an error")
            return
        }
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        guard case .error = parser.next() else {
            Issue.record("expected the parser to stay failed")
            return
        }
    }

    @Test func largeHeadSplitIntoManyReadsIsLinear() {
        // 100 reads of a 16 KiB head: each byte is scanned once, so this is instant.
        let limits = HTTPRequestParser.Limits(maxHeaderBytes: 1 << 20, maxHeaderCount: 10000, maxBodyBytes: 1)
        var parser = HTTPRequestParser(limits: limits)
        var text = "GET / HTTP/1.1\r\nHost: a\r\n"
        for i in 0..<2000 { text += "X-\(i): \(String(repeating: "v", count: 400))\r\n" }
        text += "\r\n"
        let bytes = Array(text.utf8)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            var offset = 0
            var done = false
            while offset < bytes.count {
                let end = min(bytes.count, offset + 1000)
                parser.append(Array(bytes[offset..<end]))
                offset = end
                if case .request = parser.next() { done = true }
            }
            #expect(done)
        }
        #expect(elapsed < .seconds(2))
    }
}
