import Synchronization

#if canImport(Glibc)
    import Glibc
    import CEpoll
#endif

/// A handler's response on its way back from a worker thread to the connection's event loop.
struct Completion: Sendable {
    var fd: Int32
    var connectionID: UInt64
    var response: HTTPResponse
}

/// An epoll event loop running on its own thread: accepts connections from the shared listener, reads,
/// feeds each connection's state machine, sends responses and enforces timeouts.
///
/// Threading: everything except `complete(_:)` and `requestShutdown()` runs on the loop's thread.
/// Those two only touch the `Mutex`-protected inbox / atomics and write to the loop's eventfd, which is
/// why the class is `@unchecked Sendable`. Sockets are only ever used and closed by the owning loop
/// (workers hand back responses, never write), so a closed fd cannot be reused under another thread's
/// feet; a response for a connection that closed meanwhile is recognised by its connection id.
final class EventLoop: @unchecked Sendable {
    private let context: ServerContext
    private let index: Int
    private let epfd: Int32
    private let wakeFD: Int32
    private let listenFD: Int32
    private let inbox = Mutex<[Completion]>([])
    private let wakePending = Atomic<Bool>(false)
    private let shutdownRequested = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    /// Wake-ups of this loop, so tests can prove an idle server does not spin.
    let iterations = Atomic<Int>(0)

    private var connections: [Connection?] = []
    private var liveCount = 0
    private var nextID: UInt64 = 0
    private let scratch: UnsafeMutableRawBufferPointer
    private var now: UInt64 = 0
    private var dateSecond: Int64 = -1
    private var date = ""
    private var nextScan: UInt64 = 0
    private let scanInterval: UInt64
    private let lingerTime: UInt64 = 1_000_000_000
    private var listening = false
    private var acceptPausedUntil: UInt64?
    private var shuttingDown = false
    private var shutdownDeadline: UInt64 = 0
    /// Requests dispatched during the current iteration, submitted together by `submitPendingJobs`.
    private var pendingJobs: [(fd: Int32, id: UInt64, requestID: String)] = []
    private var pendingJobClosures: [WorkerPool.Job] = []
    /// Requests whose handler runs on this loop (`ServerContext.runsOnEventLoop`), run by `runInlineJobs`
    /// after the events of an iteration: not from inside `apply`, so a burst of pipelined requests is a
    /// loop, not a recursion.
    private var inlineJobs: [(connection: Connection, request: HTTPRequest)] = []

    init(context: ServerContext, index: Int, listenFD: Int32) throws(HTTPServerError) {
        self.context = context
        self.index = index
        self.listenFD = listenFD
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw HTTPServerError("epoll_create1: \(Socket.errnoText())") }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            close(epfd)
            throw HTTPServerError("eventfd: \(Socket.errnoText())")
        }
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        let timeouts = context.configuration.timeouts
        let shortest = min(timeouts.header, timeouts.body, timeouts.idle)
        scanInterval = min(max(shortest / 10, 5_000_000), 250_000_000)
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFD, &event)
        startListening()
    }

    deinit {
        scratch.deallocate()
        close(wakeFD)
        close(epfd)
    }

    // MARK: Cross-thread entry points

    /// Hands a response back to this loop (called from worker threads).
    func complete(_ completion: Completion) {
        inbox.withLock { $0.append(completion) }
        wake()
    }

    /// Starts a graceful shutdown (called from any thread).
    func requestShutdown() {
        shutdownRequested.store(true, ordering: .releasing)
        wake()
    }

    /// Whether `run()` has returned.
    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    private func wake() {
        if wakePending.exchange(true, ordering: .acquiringAndReleasing) { return }
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    // MARK: The loop

    /// Runs until shutdown completes.
    func run() {
        let maxEvents = 256
        var events = [epoll_event](repeating: epoll_event(), count: maxEvents)
        updateClock()
        while true {
            let timeout = pollTimeout()
            let n = events.withUnsafeMutableBufferPointer {
                epoll_wait(epfd, $0.baseAddress, Int32(maxEvents), timeout)
            }
            updateClock()
            iterations.wrappingAdd(1, ordering: .relaxed)
            if n < 0 && errno != EINTR { break }
            for i in 0..<max(0, Int(n)) {
                let event = events[i]
                let fd = event.data.fd
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                    wakePending.store(false, ordering: .releasing)
                    continue
                }
                if fd == listenFD {
                    acceptConnections()
                    continue
                }
                guard let connection = connection(fd) else { continue }
                handle(event.events, on: connection)
            }
            runInlineJobs()
            submitPendingJobs()
            drainInbox()
            runInlineJobs()
            submitPendingJobs()
            if shutdownRequested.load(ordering: .acquiring) && !shuttingDown { beginShutdown() }
            if now >= nextScan { scanDeadlines() }
            if shuttingDown && finishShutdownIfDone() { break }
        }
        stopped.store(true, ordering: .releasing)
    }

    private func updateClock() {
        now = Socket.monotonicNanoseconds()
        let second = Socket.unixSeconds()
        if second != dateSecond {
            dateSecond = second
            date = HTTPDate.format(unixSeconds: second)
        }
    }

    private func pollTimeout() -> Int32 {
        if inbox.withLock({ !$0.isEmpty }) { return 0 }
        if liveCount == 0 && acceptPausedUntil == nil && !shuttingDown { return -1 }
        let wait = nextScan > now ? nextScan - now : 0
        return Int32(min((wait + 999_999) / 1_000_000, 1000))
    }

    private func connection(_ fd: Int32) -> Connection? {
        fd >= 0 && Int(fd) < connections.count ? connections[Int(fd)] : nil
    }

    // MARK: Accepting

    private func startListening() {
        guard !listening else { return }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue
        event.data.fd = listenFD
        if epoll_ctl(epfd, EPOLL_CTL_ADD, listenFD, &event) == 0 { listening = true }
    }

    private func stopListening() {
        guard listening else { return }
        var event = epoll_event()
        epoll_ctl(epfd, EPOLL_CTL_DEL, listenFD, &event)
        listening = false
    }

    private func acceptConnections() {
        let configuration = context.configuration
        for _ in 0..<64 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    cepoll_accept_nonblocking(listenFD, $0, &length)
                }
            }
            if fd < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED, EPROTO: continue
                default:
                    // EMFILE/ENFILE/ENOBUFS: the listener stays readable; pause accepting briefly instead
                    // of spinning on it.
                    stopListening()
                    acceptPausedUntil = now + 100_000_000
                    nextScan = min(nextScan, now + 100_000_000)
                    return
                }
            }
            if context.connectionCount.wrappingAdd(1, ordering: .relaxed).newValue > configuration.maxConnections {
                context.connectionCount.wrappingSubtract(1, ordering: .relaxed)
                Self.refuse(fd, date: date)
                continue
            }
            Socket.setNoDelay(fd)
            let address = Socket.addressAndPort(&storage)
            let remote =
                Int32(storage.ss_family) == AF_INET6
                ? "[\(address.address)]:\(address.port)" : "\(address.address):\(address.port)"
            nextID &+= 1
            let machine = HTTPConnectionStateMachine(
                limits: configuration.limits, timeouts: configuration.timeouts,
                maxWriteBuffer: configuration.maxWriteBuffer, now: now)
            let connection = Connection(
                fd: fd, id: nextID << 8 | UInt64(index & 0xFF), remoteAddress: remote, machine: machine, now: now)
            if Int(fd) >= connections.count {
                connections.append(contentsOf: repeatElement(nil, count: Int(fd) + 1024 - connections.count))
            }
            connections[Int(fd)] = connection
            liveCount += 1
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.fd = fd
            connection.registered = EPOLLIN.rawValue
            if epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) != 0 {
                closeNow(connection)
                continue
            }
            if let deadline = connection.machine.deadline { scheduleScan(at: deadline) }
            if shuttingDown { apply(connection.machine.shutdown(), to: connection) }
        }
    }

    /// Over `maxConnections`: a best-effort 503 and close, never queueing the connection.
    private static func refuse(_ fd: Int32, date: String) {
        let response = HTTPError(
            .serviceUnavailable, code: "too_many_connections", message: "too many connections, retry later",
            headers: ["Retry-After": "1"]
        ).response(requestID: RequestID.generate())
        let bytes = HTTPResponseEncoder.encode(
            response, headOnly: false, keepAlive: false, requestVersionMinor: 1, date: date)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        shutdown(fd, Int32(SHUT_WR))
        close(fd)
    }

    // MARK: Connection events

    private func handle(_ events: UInt32, on connection: Connection) {
        // HUP means both directions are gone (reset, or the peer's FIN after our own shutdown): nothing
        // can be delivered any more, and level-triggered HUP would otherwise be reported forever.
        if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
            closeNow(connection)
            return
        }
        if events & EPOLLOUT.rawValue != 0 {
            flush(connection)
            guard connections[Int(connection.fd)] === connection else { return }
        }
        if events & EPOLLIN.rawValue != 0 {
            readAvailable(connection)
            guard connections[Int(connection.fd)] === connection else { return }
        }
        // Drop EPOLLOUT once the output is gone and re-arm EPOLLIN once back-pressure lifted.
        updateInterest(connection)
    }

    private func readAvailable(_ connection: Connection) {
        let fd = connection.fd
        for _ in 0..<16 {
            guard connection.lingerDeadline != nil || connection.machine.wantsRead else { break }
            let n = read(fd, scratch.baseAddress, scratch.count)
            if n > 0 {
                if connection.lingerDeadline != nil {
                    connection.lingerDiscarded += n
                    if connection.lingerDiscarded > 1 << 20 {
                        closeNow(connection)
                        return
                    }
                    continue
                }
                let actions = connection.machine.received(
                    UnsafeRawBufferPointer(start: scratch.baseAddress, count: n), now: now, date: date)
                apply(actions, to: connection)
                guard connections[Int(fd)] === connection else { return }
                if n < scratch.count { break }
            } else if n == 0 {
                if connection.lingerDeadline != nil {
                    closeNow(connection)
                    return
                }
                apply(connection.machine.peerDidClose(), to: connection)
                guard connections[Int(fd)] === connection else { return }
                // Stop polling for input; EPOLLIN would stay ready forever on a half-closed socket.
                if connection.closeRequested == false && connection.machine.isBusy { updateInterest(connection) }
                return
            } else {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                closeNow(connection)
                return
            }
        }
        updateInterest(connection)
    }

    private func apply(_ actions: [HTTPConnectionStateMachine.Action], to connection: Connection) {
        for action in actions {
            switch action {
            case .dispatch(let head, let body, let requestID):
                dispatch(head, body: body, requestID: requestID, on: connection)
            case .write(let bytes):
                context.queuedOutputBytes.wrappingAdd(bytes.count, ordering: .relaxed)
                if connection.output.isEmpty {
                    connection.output = bytes
                    connection.outputOffset = 0
                    connection.lastWriteProgress = now
                } else {
                    connection.output.append(contentsOf: bytes)
                }
            case .close:
                connection.closeRequested = true
            }
        }
        flush(connection)
        guard connections[Int(connection.fd)] === connection else { return }
        if let deadline = connection.machine.deadline { scheduleScan(at: deadline) }
        updateInterest(connection)
    }

    private func dispatch(_ head: HTTPRequestHead, body: [UInt8], requestID: String, on connection: Connection) {
        let handler = context.handler
        let fd = connection.fd
        let id = connection.id
        let remote = connection.remoteAddress
        let context = self.context
        var prepared: HTTPRequest?
        if let runsOnEventLoop = context.runsOnEventLoop {
            let request = HTTPRequest(
                method: head.method, target: head.target, headers: head.headers, body: body,
                remoteAddress: remote, requestID: requestID, versionMinor: head.versionMinor)
            if runsOnEventLoop(request) {
                inlineJobs.append((connection, request))
                return
            }
            prepared = request
        }
        pendingJobs.append((fd, id, requestID))
        pendingJobClosures.append { [self, prepared] in
            let request =
                prepared
                ?? HTTPRequest(
                    method: head.method, target: head.target, headers: head.headers, body: body,
                    remoteAddress: remote, requestID: requestID, versionMinor: head.versionMinor)
            self.complete(Completion(fd: fd, connectionID: id, response: Self.run(handler, request, context)))
        }
    }

    /// The handler's response to `request`, errors rendered (the same on a worker and on the loop).
    private static func run(_ handler: HTTPHandler, _ request: HTTPRequest, _ context: ServerContext) -> HTTPResponse {
        context.activeRequests.wrappingAdd(1, ordering: .relaxed)
        defer { context.activeRequests.wrappingSubtract(1, ordering: .relaxed) }
        do {
            return try handler(request)
        } catch let error as HTTPError {
            return error.response(requestID: request.requestID)
        } catch {
            return HTTPError.internalError.response(requestID: request.requestID)
        }
    }

    /// Runs the event-loop handlers queued by `dispatch`, including those of pipelined requests their
    /// responses let the state machine parse.
    private func runInlineJobs() {
        var next = 0
        while next < inlineJobs.count {
            let (connection, request) = inlineJobs[next]
            next += 1
            let response = Self.run(context.handler, request, context)
            guard connections[Int(connection.fd)] === connection else { continue }
            apply(connection.machine.responseReady(response, now: now, date: date), to: connection)
        }
        inlineJobs.removeAll(keepingCapacity: true)
    }

    /// Hands the requests parsed in this iteration to the worker pool in one batch; those that do not fit
    /// in its queue are answered 503 `server_busy` (through the inbox, as if a worker had answered).
    private func submitPendingJobs() {
        guard !pendingJobClosures.isEmpty else { return }
        let accepted = context.pool.submit(batch: pendingJobClosures)
        if accepted < pendingJobs.count {
            inbox.withLock { inbox in
                for (fd, id, requestID) in pendingJobs[accepted...] {
                    inbox.append(
                        Completion(
                            fd: fd, connectionID: id, response: HTTPError.serverBusy.response(requestID: requestID)))
                }
            }
        }
        pendingJobs.removeAll(keepingCapacity: true)
        pendingJobClosures.removeAll(keepingCapacity: true)
    }

    private func drainInbox() {
        while true {
            let completions = inbox.withLock { inbox -> [Completion] in
                var taken: [Completion] = []
                swap(&taken, &inbox)
                return taken
            }
            if completions.isEmpty { return }
            for completion in completions {
                guard let connection = connection(completion.fd), connection.id == completion.connectionID else {
                    continue
                }
                apply(connection.machine.responseReady(completion.response, now: now, date: date), to: connection)
            }
        }
    }

    /// Sends as much queued output as the socket takes, in one `send` per contiguous buffer.
    private func flush(_ connection: Connection) {
        while connection.pendingOutput > 0 {
            let offset = connection.outputOffset
            let sent = connection.output.withUnsafeBytes { bytes in
                send(connection.fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                context.queuedOutputBytes.wrappingSubtract(sent, ordering: .relaxed)
                connection.outputOffset += sent
                connection.lastWriteProgress = now
                continue
            }
            if sent < 0 && errno == EINTR { continue }
            if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
            closeNow(connection)  // EPIPE, ECONNRESET, …
            return
        }
        let remaining = connection.pendingOutput
        if remaining == 0 && !connection.output.isEmpty {
            if connection.output.count > 65536 {
                connection.output = []
            } else {
                connection.output.removeAll(keepingCapacity: true)
            }
            connection.outputOffset = 0
        }
        let more = connection.machine.outputFlushed(remaining: remaining, now: now, date: date)
        if !more.isEmpty {
            apply(more, to: connection)
            return
        }
        if remaining == 0 && connection.closeRequested && connection.lingerDeadline == nil {
            startLinger(connection)
        }
    }

    private func startLinger(_ connection: Connection) {
        shutdown(connection.fd, Int32(SHUT_WR))
        connection.lingerDeadline = now + lingerTime
        scheduleScan(at: now + lingerTime)
    }

    private func updateInterest(_ connection: Connection) {
        var wanted: UInt32 = 0
        if connection.lingerDeadline != nil || connection.machine.wantsRead { wanted |= EPOLLIN.rawValue }
        if connection.pendingOutput > 0 { wanted |= EPOLLOUT.rawValue }
        guard wanted != connection.registered else { return }
        var event = epoll_event()
        event.events = wanted
        event.data.fd = connection.fd
        epoll_ctl(epfd, EPOLL_CTL_MOD, connection.fd, &event)
        connection.registered = wanted
    }

    /// Removes the fd from epoll, then closes it (in that order, so no event names a reused fd).
    private func closeNow(_ connection: Connection) {
        guard connections[Int(connection.fd)] === connection else { return }
        var event = epoll_event()
        epoll_ctl(epfd, EPOLL_CTL_DEL, connection.fd, &event)
        close(connection.fd)
        context.queuedOutputBytes.wrappingSubtract(connection.pendingOutput, ordering: .relaxed)
        connection.output = []
        connection.outputOffset = 0
        connections[Int(connection.fd)] = nil
        liveCount -= 1
        context.connectionCount.wrappingSubtract(1, ordering: .relaxed)
    }

    // MARK: Timers

    private func scheduleScan(at deadline: UInt64) {
        if deadline < nextScan { nextScan = max(deadline, now + scanInterval / 2) }
    }

    private func scanDeadlines() {
        var earliest = UInt64.max
        let writeTimeout = context.configuration.timeouts.idle
        for slot in connections.indices {
            guard let connection = connections[slot] else { continue }
            if let linger = connection.lingerDeadline {
                if now >= linger {
                    closeNow(connection)
                    continue
                }
                earliest = min(earliest, linger)
                continue
            }
            if connection.pendingOutput > 0 {
                let cutoff = connection.lastWriteProgress &+ writeTimeout
                if now >= cutoff {
                    closeNow(connection)
                    continue
                }
                earliest = min(earliest, cutoff)
            }
            if let deadline = connection.machine.deadline {
                if now >= deadline {
                    apply(connection.machine.tick(now: now, date: date), to: connection)
                    guard connections[slot] === connection else { continue }
                }
                if let next = connection.machine.deadline { earliest = min(earliest, next) }
            }
        }
        if let paused = acceptPausedUntil {
            if now >= paused {
                acceptPausedUntil = nil
                if !shuttingDown { startListening() }
            } else {
                earliest = min(earliest, paused)
            }
        }
        if shuttingDown { earliest = min(earliest, now + 10_000_000) }
        nextScan = max(earliest, now + scanInterval)
    }

    // MARK: Shutdown

    private func beginShutdown() {
        shuttingDown = true
        shutdownDeadline = now + HTTPServerConfiguration.nanoseconds(context.configuration.shutdownGrace)
        stopListening()
        acceptPausedUntil = nil
        for slot in connections.indices {
            guard let connection = connections[slot] else { continue }
            apply(connection.machine.shutdown(), to: connection)
        }
        nextScan = now
    }

    /// True when every connection is gone (or only lingering), or the grace period is over.
    private func finishShutdownIfDone() -> Bool {
        let pastGrace = now >= shutdownDeadline
        var remaining = false
        for slot in connections.indices {
            guard let connection = connections[slot] else { continue }
            if pastGrace || (connection.lingerDeadline != nil)
                || (connection.machine.state == .closed && connection.pendingOutput == 0)
            {
                closeNow(connection)
            } else {
                remaining = true
            }
        }
        return !remaining
    }
}
