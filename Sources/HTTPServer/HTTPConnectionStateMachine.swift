/// The life of one HTTP/1.1 connection as a pure state machine: fed events (bytes received, a response
/// ready, output flushed, peer closed, a clock tick, shutdown) and returning actions for the I/O layer.
///
/// Why pure: every rule about keep-alive, pipelining order, timeouts and back-pressure is decided here
/// and tested with a fake clock and no sockets; the epoll loop only carries the actions out.
///
/// Rules it enforces:
/// - One request at a time: a pipelined request is parsed only after the previous response is queued,
///   so responses go out in request order.
/// - Timeouts: `idle` between requests (close silently; a new connection that never sends a byte gets
///   `min(idle, header)`), `header` from the first byte until the head is complete and `body` for the
///   body (408 then close).
/// - Back-pressure: when unsent output exceeds `maxWriteBuffer`, it stops parsing (and asks not to be
///   read) until the client catches up; while a handler runs, it reads ahead at most `readAheadLimit`.
/// - Errors it generates (400, 408, 413, 431, 501, …) use `HTTPError`'s JSON shape and close the
///   connection; once the request line said `HEAD`, they carry the length of that body but not the body.
public struct HTTPConnectionStateMachine: Sendable {
    /// Timeouts in nanoseconds of the caller's monotonic clock.
    public struct Timeouts: Sendable, Equatable {
        public var header: UInt64
        public var body: UInt64
        public var idle: UInt64

        public init(header: UInt64, body: UInt64, idle: UInt64) {
            self.header = header
            self.body = body
            self.idle = idle
        }
    }

    /// What the I/O layer must do, in order.
    public enum Action: Sendable {
        /// Run the handler for this request (then call `responseReady`).
        case dispatch(HTTPRequestHead, body: [UInt8], requestID: String)
        /// Queue these bytes for sending.
        case write([UInt8])
        /// Close after the queued output is sent (at once when nothing is queued).
        case close
    }

    /// Where the connection is.
    public enum State: Sendable, Equatable {
        /// Between requests (keep-alive); the idle timeout runs.
        case idle
        /// Receiving a request head; the header timeout runs.
        case readingHead
        /// Receiving a request body; the body timeout runs.
        case readingBody
        /// A handler is running for the current request.
        case awaitingResponse
        /// Closing: nothing more is read or answered.
        case closed
    }

    public private(set) var state: State = .idle
    /// When the running timeout fires (nil when none runs).
    public private(set) var deadline: UInt64?
    private var parser: HTTPRequestParser
    private let timeouts: Timeouts
    private let maxWriteBuffer: Int
    /// Bytes read ahead while a handler runs before reading pauses.
    public let readAheadLimit: Int
    private var pendingOutput = 0
    private var outputBlocked = false
    private var peerClosed = false
    private var shuttingDown = false
    private var current: (head: HTTPRequestHead, requestID: String)?

    /// A new connection accepted at `now`.
    public init(
        limits: HTTPRequestParser.Limits, timeouts: Timeouts, maxWriteBuffer: Int, now: UInt64,
        readAheadLimit: Int = 65536
    ) {
        self.parser = HTTPRequestParser(limits: limits)
        self.timeouts = timeouts
        self.maxWriteBuffer = maxWriteBuffer
        self.readAheadLimit = readAheadLimit
        // A new connection gets no longer than a request head would to start talking: idle sockets that
        // never send a byte are the cheapest way to exhaust `maxConnections`.
        self.deadline = now &+ min(timeouts.idle, timeouts.header)
    }

    /// Whether the I/O layer should read from the socket now.
    public var wantsRead: Bool {
        switch state {
        case .idle, .readingHead, .readingBody: !outputBlocked
        case .awaitingResponse: !peerClosed && parser.bufferedByteCount < readAheadLimit
        case .closed: false
        }
    }

    /// Whether a handler is running (shutdown waits for these).
    public var isBusy: Bool { state == .awaitingResponse }

    /// Bytes arrived from the peer.
    public mutating func received(_ bytes: UnsafeRawBufferPointer, now: UInt64, date: String) -> [Action] {
        guard state != .closed else { return [] }
        parser.append(bytes)
        return afterReceive(now: now, date: date)
    }

    /// Bytes arrived from the peer.
    public mutating func received(_ bytes: [UInt8], now: UInt64, date: String) -> [Action] {
        guard state != .closed else { return [] }
        parser.append(bytes)
        return afterReceive(now: now, date: date)
    }

    private mutating func afterReceive(now: UInt64, date: String) -> [Action] {
        if state == .idle {
            state = .readingHead
            deadline = now &+ timeouts.header
        }
        guard state != .awaitingResponse else { return [] }
        var actions: [Action] = []
        process(now: now, date: date, into: &actions)
        return actions
    }

    /// The handler's response for the current request is ready.
    public mutating func responseReady(_ response: HTTPResponse, now: UInt64, date: String) -> [Action] {
        guard state == .awaitingResponse, let current else { return [] }
        self.current = nil
        var response = response
        if !response.headers.contains("X-Request-Id") { response.headers.add("X-Request-Id", current.requestID) }
        let handlerCloses = Self.wantsClose(response.headers)
        let keepAlive = current.head.keepAlive && !handlerCloses && !shuttingDown && !peerClosed
        let bytes = HTTPResponseEncoder.encode(
            response, headOnly: current.head.method == .head, keepAlive: keepAlive,
            requestVersionMinor: current.head.versionMinor, date: date)
        var actions: [Action] = [.write(bytes)]
        pendingOutput += bytes.count
        if pendingOutput > maxWriteBuffer { outputBlocked = true }
        guard keepAlive else {
            close(into: &actions)
            return actions
        }
        if parser.bufferedByteCount > 0 {
            state = .readingHead
            deadline = now &+ timeouts.header
            process(now: now, date: date, into: &actions)
        } else {
            state = .idle
            parser.shrinkIfIdle()
            deadline = now &+ timeouts.idle
        }
        return actions
    }

    /// The I/O layer sent some output; `remaining` bytes are still queued.
    public mutating func outputFlushed(remaining: Int, now: UInt64, date: String) -> [Action] {
        pendingOutput = remaining
        guard outputBlocked, remaining <= maxWriteBuffer else { return [] }
        outputBlocked = false
        var actions: [Action] = []
        if state == .readingHead || state == .readingBody {
            process(now: now, date: date, into: &actions)
        }
        return actions
    }

    /// The peer closed its sending side (read returned 0) or the connection failed.
    public mutating func peerDidClose() -> [Action] {
        peerClosed = true
        switch state {
        case .awaitingResponse:
            return []  // answer the request in flight, then close
        case .closed:
            return []
        default:
            var actions: [Action] = []
            close(into: &actions)
            return actions
        }
    }

    /// The clock advanced; fires the running timeout when due.
    public mutating func tick(now: UInt64, date: String) -> [Action] {
        guard let deadline, now >= deadline else { return [] }
        var actions: [Action] = []
        switch state {
        case .idle:
            close(into: &actions)
        case .readingHead, .readingBody:
            let error = HTTPError(.requestTimeout, code: "request_timeout", message: "request was not received in time")
            writeError(error, requestVersionMinor: 1, date: date, into: &actions)
        case .awaitingResponse, .closed:
            self.deadline = nil
        }
        return actions
    }

    /// The server is shutting down: idle connections close now; a request in flight is answered with
    /// `Connection: close`; a partly received request may finish (the server's grace period bounds it).
    public mutating func shutdown() -> [Action] {
        shuttingDown = true
        var actions: [Action] = []
        if state == .idle || (state == .readingHead && !parser.hasPartialRequest) { close(into: &actions) }
        return actions
    }

    // MARK: Internals

    private mutating func process(now: UInt64, date: String, into actions: inout [Action]) {
        while !outputBlocked {
            switch parser.next() {
            case .needMore:
                if state == .readingHead && !parser.hasPartialRequest && shuttingDown {
                    close(into: &actions)
                }
                return
            case .head(let head):
                state = .readingBody
                deadline = now &+ timeouts.body
                if head.expectContinue && parser.bufferedByteCount == 0 {
                    actions.append(.write(HTTPResponseEncoder.continueResponse))
                    pendingOutput += HTTPResponseEncoder.continueResponse.count
                }
            case .request(let head, let body):
                let requestID = RequestID.resolve(head.headers["X-Request-Id"])
                current = (head, requestID)
                state = .awaitingResponse
                deadline = nil
                actions.append(.dispatch(head, body: body, requestID: requestID))
                return
            case .error(let error):
                writeError(error.httpError, requestVersionMinor: 1, date: date, into: &actions)
                return
            }
        }
    }

    private mutating func writeError(
        _ error: HTTPError, requestVersionMinor: Int, date: String, into actions: inout [Action]
    ) {
        let response = error.response(requestID: RequestID.generate())
        let bytes = HTTPResponseEncoder.encode(
            response, headOnly: parser.currentMethod == .head, keepAlive: false,
            requestVersionMinor: requestVersionMinor, date: date)
        actions.append(.write(bytes))
        pendingOutput += bytes.count
        close(into: &actions)
    }

    private mutating func close(into actions: inout [Action]) {
        state = .closed
        deadline = nil
        current = nil
        actions.append(.close)
    }

    private static func wantsClose(_ headers: HTTPHeaders) -> Bool {
        HTTPRequestParser.listElements(headers.values("Connection")).contains("close")
    }
}
