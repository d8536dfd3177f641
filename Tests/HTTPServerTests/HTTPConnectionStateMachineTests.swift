import Foundation
import Testing

@testable import HTTPServer

/// Drives a state machine with a fake clock (nanoseconds) and records what it asks for.
struct MachineHarness {
    static let ms: UInt64 = 1_000_000
    var machine: HTTPConnectionStateMachine
    var now: UInt64 = 1_000 * ms
    var written: [UInt8] = []
    var dispatched: [(head: HTTPRequestHead, body: [UInt8], requestID: String)] = []
    var closed = false

    init(
        limits: HTTPRequestParser.Limits = .init(maxHeaderBytes: 1024, maxHeaderCount: 20, maxBodyBytes: 1024),
        header: UInt64 = 300, body: UInt64 = 400, idle: UInt64 = 500, maxWriteBuffer: Int = 1 << 20
    ) {
        machine = HTTPConnectionStateMachine(
            limits: limits, timeouts: .init(header: header * Self.ms, body: body * Self.ms, idle: idle * Self.ms),
            maxWriteBuffer: maxWriteBuffer, now: 1_000 * Self.ms)
    }

    mutating func perform(_ actions: [HTTPConnectionStateMachine.Action]) {
        for action in actions {
            switch action {
            case .dispatch(let head, let body, let requestID):
                #expect(!closed)
                dispatched.append((head, body, requestID))
            case .write(let bytes):
                #expect(!closed, "write after close")
                written += bytes
            case .close:
                closed = true
            }
        }
    }

    mutating func receive(_ text: String) { perform(machine.received(Array(text.utf8), now: now, date: "D")) }
    mutating func respond(_ response: HTTPResponse = .text("ok")) {
        perform(machine.responseReady(response, now: now, date: "D"))
    }
    mutating func advance(ms: UInt64) {
        now += ms * Self.ms
        perform(machine.tick(now: now, date: "D"))
    }
    mutating func takeWritten() -> String {
        defer { written = [] }
        return String(decoding: written, as: UTF8.self)
    }
}

@Suite("HTTPConnectionStateMachine")
struct HTTPConnectionStateMachineTests {
    @Test func idleKeepAliveConnectionClosesSilentlyAtTheIdleTimeout() {
        var h = MachineHarness()
        h.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        h.respond()
        _ = h.takeWritten()
        h.advance(ms: 499)
        #expect(!h.closed)
        h.advance(ms: 1)
        #expect(h.closed)
        #expect(h.written.isEmpty)
    }

    @Test func newConnectionThatNeverSpeaksClosesSilentlyAtTheHeaderTimeout() {
        var h = MachineHarness()
        h.advance(ms: 299)
        #expect(!h.closed)
        h.advance(ms: 1)
        #expect(h.closed)
        #expect(h.written.isEmpty)
    }

    @Test func slowHeaderGets408AndCloseAtTheHeaderTimeout() {
        var h = MachineHarness()
        h.advance(ms: 100)
        h.receive("GET / HT")
        // Trickling bytes does not extend the header deadline (slowloris).
        for _ in 0..<2 {
            h.advance(ms: 100)
            h.receive("T")
        }
        #expect(!h.closed)
        h.advance(ms: 100)
        #expect(h.closed)
        let out = h.takeWritten()
        #expect(out.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(out.contains("Connection: close\r\n"))
        #expect(out.contains(#""code":"request_timeout""#))
    }

    @Test func slowBodyGets408AtTheBodyTimeout() {
        var h = MachineHarness()
        h.receive("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        h.advance(ms: 399)
        #expect(!h.closed)
        h.advance(ms: 1)
        #expect(h.closed)
        #expect(h.takeWritten().hasPrefix("HTTP/1.1 408 "))
        #expect(h.dispatched.isEmpty)
    }

    @Test func keepAliveReturnsToIdleWithAFreshIdleDeadline() {
        var h = MachineHarness()
        h.receive("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(h.dispatched.count == 1)
        #expect(h.machine.state == .awaitingResponse)
        // No timeout runs while the handler works, however long it takes.
        h.advance(ms: 10_000)
        #expect(!h.closed)
        h.respond()
        let out = h.takeWritten()
        #expect(out.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(out.contains("Content-Length: 2\r\n"))
        #expect(out.contains("Date: D\r\n"))
        #expect(!out.contains("Connection:"))
        #expect(out.hasSuffix("\r\n\r\nok"))
        #expect(h.machine.state == .idle)
        h.advance(ms: 499)
        #expect(!h.closed)
        h.advance(ms: 1)
        #expect(h.closed)
    }

    @Test func pipelinedRequestsAreDispatchedOneAtATimeInOrder() {
        var h = MachineHarness()
        h.receive(
            "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(h.dispatched.map(\.head.target) == ["/1"])
        h.respond(.text("one"))
        #expect(h.dispatched.map(\.head.target) == ["/1", "/2"])
        h.respond(.text("two"))
        h.respond(.text("three"))
        #expect(h.dispatched.map(\.head.target) == ["/1", "/2", "/3"])
        let out = h.takeWritten()
        let one = out.range(of: "one")!.lowerBound
        let two = out.range(of: "two")!.lowerBound
        let three = out.range(of: "three")!.lowerBound
        #expect(one < two && two < three)
        #expect(!h.closed)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", true),
        ("GET / HTTP/1.0\r\n\r\n", true),
        ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", false),
    ])
    func closeRules(request: String, closes: Bool) {
        var h = MachineHarness()
        h.receive(request)
        h.respond()
        #expect(h.closed == closes)
        let out = h.takeWritten()
        #expect(out.contains("Connection: close\r\n") == closes)
        if request.contains("HTTP/1.0\r\nConnection: keep-alive") {
            #expect(out.contains("Connection: keep-alive\r\n"))
        }
    }

    @Test func handlerAskingToCloseClosesAfterTheResponse() {
        var h = MachineHarness()
        h.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        h.respond(HTTPResponse(status: .ok, headers: ["Connection": "close"], body: []))
        #expect(h.closed)
        #expect(h.dispatched.count == 1)
    }

    @Test func headResponseHasLengthButNoBody() {
        var h = MachineHarness()
        h.receive("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
        h.respond(.text("hello"))
        let out = h.takeWritten()
        #expect(out.contains("Content-Length: 5\r\n"))
        #expect(out.hasSuffix("\r\n\r\n"))
    }

    @Test func noContentHasNoLengthAndNoBody() {
        var h = MachineHarness()
        h.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        h.respond(HTTPResponse(status: .noContent, headers: ["Content-Length": "99"], body: [1, 2]))
        let out = h.takeWritten()
        #expect(!out.contains("Content-Length"))
        #expect(out.hasSuffix("\r\n\r\n"))
    }

    @Test func responseGetsTheRequestIDWhenTheHandlerSetNone() {
        var h = MachineHarness()
        h.receive("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc\r\n\r\n")
        #expect(h.dispatched.first?.requestID == "abc")
        h.respond()
        #expect(h.takeWritten().contains("X-Request-Id: abc\r\n"))
    }

    @Test func handlerHeadersCannotSplitTheResponse() {
        var h = MachineHarness()
        h.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        h.respond(
            HTTPResponse(status: .ok, headers: ["X-Evil": "a\r\nSet-Cookie: x=1", "Bad Name": "v", "Ok": "fine"]))
        let out = h.takeWritten()
        #expect(!out.contains("Set-Cookie"))
        #expect(!out.contains("Bad Name"))
        #expect(out.contains("Ok: fine\r\n"))
    }

    @Test func expectContinueIsAnsweredOnlyWhenTheBodyWillBeRead() {
        var h = MachineHarness()
        h.receive("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        #expect(h.takeWritten() == "HTTP/1.1 100 Continue\r\n\r\n")
        h.receive("abc")
        #expect(h.dispatched.first?.body == Array("abc".utf8))

        var tooLarge = MachineHarness()
        tooLarge.receive("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
        let out = tooLarge.takeWritten()
        #expect(out.hasPrefix("HTTP/1.1 413 "))
        #expect(!out.contains("100 Continue"))
        #expect(tooLarge.closed)

        var bodyAlreadySent = MachineHarness()
        bodyAlreadySent.receive("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx")
        #expect(bodyAlreadySent.written.isEmpty)
        #expect(bodyAlreadySent.dispatched.count == 1)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "bad_request"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "x", count: 2000))\r\n\r\n", 431, "header_too_large"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", 413, "payload_too_large"),
    ])
    func parseErrorsAnswerJSONAndClose(request: String, status: Int, code: String) {
        var h = MachineHarness()
        h.receive(request)
        #expect(h.closed)
        #expect(h.machine.state == .closed)
        let out = h.takeWritten()
        #expect(out.hasPrefix("HTTP/1.1 \(status) "))
        #expect(out.contains("Content-Type: application/json\r\n"))
        #expect(out.contains(#"{"error":{"code":"\#(code)""#))
        #expect(out.contains("Connection: close\r\n"))
        // Nothing more is read or answered.
        h.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(h.written.isEmpty && h.dispatched.isEmpty)
    }

    /// Feeds `input` whole and split in two at every byte; returns what each run wrote (the same for all
    /// when the machine does not depend on read boundaries).
    private static func splitRuns(_ input: String) -> [String] {
        let bytes = Array(input.utf8)
        var outputs: [String] = []
        for split in 0..<bytes.count {
            var h = MachineHarness()
            if split > 0 { h.perform(h.machine.received(Array(bytes[..<split]), now: h.now, date: "D")) }
            h.perform(h.machine.received(Array(bytes[split...]), now: h.now, date: "D"))
            #expect(h.closed, "split at \(split)")
            outputs.append(h.takeWritten().replacingRequestIDs())
        }
        return outputs
    }

    @Test(arguments: [
        ("HEAD / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        ("HEAD / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "x", count: 2000))\r\n\r\n", 431),
        ("HEAD / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", 417),
        ("HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", 413),
        ("HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;\r\nx\r\n0\r\n\r\n", 400),
    ])
    func errorsAnsweringAHeadHaveNoBody(request: String, status: Int) {
        let outputs = Self.splitRuns(request)
        #expect(Set(outputs).count == 1, "same answer at every split")
        let out = outputs[0]
        #expect(out.hasPrefix("HTTP/1.1 \(status) "))
        #expect(out.contains("Content-Length: "), "HEAD keeps the length it would have had")
        #expect(out.hasSuffix("\r\n\r\n") && !out.contains("{"), "no body after the head: \(out)")
        #expect(out.contains("Cache-Control: no-store\r\n"))
        // The same error for GET does carry its JSON body.
        let get = Self.splitRuns(request.replacingOccurrences(of: "HEAD /", with: "GET /"))[0]
        #expect(get.hasSuffix("}") && get.contains(#"{"error":"#))
    }

    @Test(arguments: ["HEAD / HTTP/1.1\r\nHost: a\r\n", "HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab"])
    func timeoutAnsweringAHeadHasNoBody(partial: String) {
        let bytes = Array(partial.utf8)
        for split in 0..<bytes.count {
            var h = MachineHarness()
            if split > 0 { h.perform(h.machine.received(Array(bytes[..<split]), now: h.now, date: "D")) }
            h.perform(h.machine.received(Array(bytes[split...]), now: h.now, date: "D"))
            h.advance(ms: 500)
            let out = h.takeWritten()
            #expect(out.hasPrefix("HTTP/1.1 408 "), "split at \(split)")
            #expect(out.hasSuffix("\r\n\r\n") && !out.contains("{"), "split at \(split): \(out)")
            #expect(h.closed)
        }
    }

    @Test(arguments: ["PROPFIND", "MKCOLA", "ANNOUNCE", "BREW"])
    func unknownMethodsAre501BeforeDispatch(method: String) {
        for out in Self.splitRuns("\(method) /api/products HTTP/1.1\r\nHost: a\r\n\r\n") {
            #expect(out.hasPrefix("HTTP/1.1 501 "))
            #expect(out.contains(#""code":"not_implemented""#))
        }
        var h = MachineHarness()
        h.receive("\(method) / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(h.dispatched.isEmpty)
    }

    @Test func backPressureStopsParsingUntilOutputDrains() {
        var h = MachineHarness(maxWriteBuffer: 100)
        h.receive("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        h.respond(.text(String(repeating: "x", count: 500)))
        #expect(h.dispatched.count == 1, "must not dispatch while 500 bytes are unsent")
        #expect(!h.machine.wantsRead)
        h.perform(h.machine.outputFlushed(remaining: 300, now: h.now, date: "D"))
        #expect(h.dispatched.count == 1)
        h.perform(h.machine.outputFlushed(remaining: 50, now: h.now, date: "D"))
        #expect(h.dispatched.map(\.head.target) == ["/1", "/2"])
        #expect(h.machine.wantsRead, "bounded read-ahead resumes once output drained")
    }

    @Test func readAheadIsBoundedWhileAHandlerRuns() {
        var h = MachineHarness()
        h.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(h.machine.wantsRead)
        h.receive(String(repeating: "G", count: 70_000))
        #expect(!h.machine.wantsRead)
    }

    @Test func peerCloseWhileHandlerRunsStillAnswersThenCloses() {
        var h = MachineHarness()
        h.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        h.perform(h.machine.peerDidClose())
        #expect(!h.closed)
        h.respond()
        #expect(h.takeWritten().contains("Connection: close\r\n"))
        #expect(h.closed)
    }

    @Test func peerCloseMidHeadClosesWithoutAnswer() {
        var h = MachineHarness()
        h.receive("GET / HTT")
        h.perform(h.machine.peerDidClose())
        #expect(h.closed)
        #expect(h.written.isEmpty)
    }

    @Test func shutdownClosesIdleAndLetsInFlightFinishWithClose() {
        var idle = MachineHarness()
        idle.perform(idle.machine.shutdown())
        #expect(idle.closed)

        var busy = MachineHarness()
        busy.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        busy.perform(busy.machine.shutdown())
        #expect(!busy.closed)
        busy.respond()
        #expect(busy.takeWritten().contains("Connection: close\r\n"))
        #expect(busy.closed)
        #expect(busy.dispatched.count == 1)
    }
}

extension String {
    /// With every generated request id (`X-Request-Id` header and `requestId` field) blanked, so two runs'
    /// outputs compare equal.
    func replacingRequestIDs() -> String {
        var out = ""
        for line in split(separator: "\r\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("X-Request-Id: ") {
                out += "X-Request-Id: -\r\n"
            } else if let range = line.range(of: #""requestId":""#) {
                out += line[..<range.upperBound] + "-\"}"
            } else {
                out += line + "\r\n"
            }
        }
        return out
    }
}
