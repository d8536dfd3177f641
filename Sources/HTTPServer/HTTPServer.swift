import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 server: epoll event loops for socket I/O, a bounded pool of worker threads for the
/// (synchronous, possibly blocking) handler.
///
/// Why hand-rolled instead of SwiftNIO: the product's handlers are blocking by design (libpq), and a
/// small server whose every limit is explicit is easier to audit; `make bench-http` compares it against
/// Hummingbird 2. Lifecycle: `init` → `start()` (binds, returns at once) → `shutdown()` (graceful) →
/// `waitUntilStopped()`. A stopped server cannot be restarted.
public final class HTTPServer: Sendable {
    private struct State: @unchecked Sendable {
        // `@unchecked`: `loops` are only used through their thread-safe entry points.
        var phase: Phase = .idle
        var listenFD: Int32 = -1
        var port = 0
        var loops: [EventLoop] = []
        var pool: WorkerPool?
        var context: ServerContext?
    }

    private enum Phase { case idle, running, stopping, stopped }

    /// The configuration the server was created with.
    public let configuration: HTTPServerConfiguration
    private let handler: HTTPHandler
    private let runsOnEventLoop: (@Sendable (HTTPRequest) -> Bool)?
    private let state = Mutex(State())
    private let stoppedGroup = DispatchGroup()
    private let loopsFinished = DispatchGroup()

    /// A server that will answer every request with `handler` (usually `Router.handler()`).
    ///
    /// `runsOnEventLoop` picks the requests whose handler runs inline on the event loop that parsed them
    /// instead of on a worker thread: no thread hand-off (two futex wake-ups and context switches per
    /// request), for handlers that never block — a static answer, a health probe, something computed in
    /// memory. Anything that may wait (libpq, a Stripe call, a lock held across I/O) must stay on the
    /// workers: while it runs, every other connection of that loop waits. nil: every request uses a worker.
    public init(
        configuration: HTTPServerConfiguration, handler: @escaping HTTPHandler,
        runsOnEventLoop: (@Sendable (HTTPRequest) -> Bool)? = nil
    ) {
        self.configuration = configuration
        self.handler = handler
        self.runsOnEventLoop = runsOnEventLoop
    }

    /// A server for `router`: its `handler()`, with the routes registered `onEventLoop: true` run inline
    /// on the event loop (see `init(configuration:handler:runsOnEventLoop:)`).
    public convenience init(configuration: HTTPServerConfiguration, router: Router) {
        self.init(
            configuration: configuration, handler: router.handler(), runsOnEventLoop: router.eventLoopPredicate())
    }

    /// Binds the listening socket and starts the event loops and workers; returns immediately.
    /// Throws `HTTPServerError` when the address cannot be bound or the server was already started.
    public func start() throws {
        try state.withLock { state throws(HTTPServerError) in
            guard state.phase == .idle else { throw HTTPServerError("server already started") }
            Socket.ignoreSIGPIPE()
            let (fd, port) = try Socket.listen(
                host: configuration.host, port: configuration.port, backlog: configuration.backlog)
            let pool = WorkerPool(threads: configuration.workerThreads, queueLimit: configuration.workerQueueLimit)
            let context = ServerContext(
                configuration: configuration, handler: handler, runsOnEventLoop: runsOnEventLoop, pool: pool)
            var loops: [EventLoop] = []
            for index in 0..<max(1, configuration.eventLoops) {
                do throws(HTTPServerError) {
                    loops.append(try EventLoop(context: context, index: index, listenFD: fd))
                } catch {
                    loops.removeAll()
                    close(fd)
                    throw error
                }
            }
            pool.start(name: "http")
            stoppedGroup.enter()
            for (index, loop) in loops.enumerated() {
                loopsFinished.enter()
                let thread = Thread { [loopsFinished] in
                    loop.run()
                    loopsFinished.leave()
                }
                thread.name = "http-loop-\(index)"
                thread.stackSize = 1 << 20
                thread.start()
            }
            state.listenFD = fd
            state.port = port
            state.loops = loops
            state.pool = pool
            state.context = context
            state.phase = .running
        }
    }

    /// The bound TCP port (meaningful after `start()`; resolves port 0 to the real one).
    public var port: Int { state.withLock { $0.port } }

    /// A snapshot of the server's load, for metrics and tests.
    public struct Stats: Sendable, Equatable {
        /// Open client connections (including ones finishing their last response).
        public var openConnections: Int
        /// Response bytes waiting for slow clients, in user space, across connections.
        public var queuedOutputBytes: Int
        /// Handlers running now.
        public var activeRequests: Int
        /// Requests waiting for a worker thread.
        public var queuedRequests: Int
    }

    /// Current load figures (all zero before `start()` and after shutdown).
    public var stats: Stats {
        let (context, pool) = state.withLock { ($0.context, $0.pool) }
        guard let context else {
            return Stats(openConnections: 0, queuedOutputBytes: 0, activeRequests: 0, queuedRequests: 0)
        }
        return Stats(
            openConnections: context.connectionCount.load(ordering: .relaxed),
            queuedOutputBytes: context.queuedOutputBytes.load(ordering: .relaxed),
            activeRequests: context.activeRequests.load(ordering: .relaxed),
            queuedRequests: pool?.queuedCount ?? 0)
    }

    /// Total wake-ups of all event loops (tests use it to prove idle loops sleep).
    var eventLoopIterations: Int {
        state.withLock { $0.loops.reduce(0) { $0 + $1.iterations.load(ordering: .relaxed) } }
    }

    /// Graceful stop: stop accepting, close idle connections, let requests in flight finish (answered with
    /// `Connection: close`) for up to `shutdownGrace`, then close everything and join all threads.
    /// Returns when the server is stopped. Safe to call more than once and from any thread.
    public func shutdown() {
        let (loops, pool, fd, shouldStop) = state.withLock { state -> ([EventLoop], WorkerPool?, Int32, Bool) in
            guard state.phase == .running else { return ([], nil, -1, false) }
            state.phase = .stopping
            return (state.loops, state.pool, state.listenFD, true)
        }
        guard shouldStop else {
            waitUntilStopped()
            return
        }
        for loop in loops { loop.requestShutdown() }
        loopsFinished.wait()
        // Every loop has removed the listener from its epoll set, so closing it cannot race.
        close(fd)
        // Loops only exit once in-flight requests are answered or the grace period is over; a handler
        // still running now is stuck, and gets one more second before shutdown returns without it.
        pool?.stopAndJoin(timeout: .seconds(1))
        state.withLock {
            $0.loops = []
            $0.pool = nil
            $0.listenFD = -1
            $0.phase = .stopped
        }
        stoppedGroup.leave()
    }

    /// Blocks until `shutdown()` has completed (returns at once when the server never started).
    public func waitUntilStopped() {
        let started = state.withLock { $0.phase != .idle }
        if started { stoppedGroup.wait() }
    }
}
