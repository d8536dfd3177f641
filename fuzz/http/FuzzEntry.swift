// libFuzzer entry for HTTPServer's pure HTTP core (parser, connection state machine, encoder,
// request-target decoding, router). Built by fuzz/http/run.sh together with Sources/HTTPServer's pure
// files into one module, so internal API is visible.
//
// Oracles beyond "does not crash or trip ASan":
// - the parser gives the same result whole and split at an input-chosen boundary and byte by byte;
// - every response the state machine writes starts with a status line and never contains a bare LF
//   inside its head.

struct FuzzRun: Equatable {
    var requests: [String] = []
    var error: Int?
}

func fuzzParse(_ pieces: [ArraySlice<UInt8>]) -> FuzzRun {
    let limits = HTTPRequestParser.Limits(maxHeaderBytes: 1024, maxHeaderCount: 16, maxBodyBytes: 2048)
    var parser = HTTPRequestParser(limits: limits)
    var run = FuzzRun()
    outer: for piece in pieces {
        parser.append(Array(piece))
        while true {
            switch parser.next() {
            case .needMore: continue outer
            case .head: continue
            case .request(let head, let body):
                run.requests.append(
                    "\(head.method.rawValue) \(head.target) \(head.versionMinor) \(head.headers.count) \(body) \(head.keepAlive)"
                )
            case .error(let error):
                run.error = error.httpError.status.code
                break outer
            }
        }
    }
    return run
}

let fuzzRouter: HTTPHandler = {
    let router = Router()
    router.get("/a/:x") { request in .text(request.pathParameters["x"] ?? "") }
    router.post("/a/:x/b") { request in .json(request.query) }
    router.get("/a/literal") { request in
        throw HTTPError(.conflict, code: "c", message: request.path, field: request.target, extra: ["k": "v"])
    }
    return router.handler()
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = fuzzParse([bytes[...]])
    if size > 1 {
        let split = 1 + Int(bytes[0]) * (size - 1) / 256
        let twoPieces = fuzzParse([bytes[..<split], bytes[split...]])
        precondition(twoPieces == whole, "parser result depends on the split at \(split)")
    }
    if size <= 512 {
        let bytewise = fuzzParse(bytes.indices.map { bytes[$0...$0] })
        precondition(bytewise == whole, "parser result differs byte by byte")
    }

    // The connection state machine over the same bytes, answering through the router.
    var machine = HTTPConnectionStateMachine(
        limits: .init(maxHeaderBytes: 1024, maxHeaderCount: 16, maxBodyBytes: 2048),
        timeouts: .init(header: 10, body: 10, idle: 10), maxWriteBuffer: 4096, now: 0)
    var pending = machine.received(bytes, now: 1, date: "Thu, 01 Jan 1970 00:00:00 GMT")
    var rounds = 0
    while !pending.isEmpty && rounds < 64 {
        rounds += 1
        var next: [HTTPConnectionStateMachine.Action] = []
        for action in pending {
            switch action {
            case .dispatch(let head, let body, let requestID):
                let request = HTTPRequest(
                    method: head.method, target: head.target, headers: head.headers, body: body,
                    requestID: requestID, versionMinor: head.versionMinor)
                let response = (try? fuzzRouter(request)) ?? HTTPResponse(status: .internalServerError)
                next += machine.responseReady(response, now: 2, date: "Thu, 01 Jan 1970 00:00:00 GMT")
                next += machine.outputFlushed(remaining: 0, now: 2, date: "Thu, 01 Jan 1970 00:00:00 GMT")
            case .write(let out):
                precondition(out.starts(with: Array("HTTP/1.1 ".utf8)), "response without status line")
                if let end = out.firstRange(of: Array("\r\n\r\n".utf8)) {
                    let head = out[..<end.lowerBound]
                    for i in head.indices where head[i] == 10 {
                        precondition(i > head.startIndex && head[i - 1] == 13, "bare LF in response head")
                    }
                }
            case .close:
                break
            }
        }
        pending = next
    }
    _ = machine.tick(now: 100, date: "Thu, 01 Jan 1970 00:00:00 GMT")
    return 0
}
