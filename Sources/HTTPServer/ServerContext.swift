import Synchronization

/// What every event loop of one server shares: configuration, the handler, the worker pool and the
/// global connection count.
final class ServerContext: Sendable {
    let configuration: HTTPServerConfiguration
    let handler: HTTPHandler
    /// Requests for which it answers true run on the event loop instead of a worker (nil: none do).
    let runsOnEventLoop: (@Sendable (HTTPRequest) -> Bool)?
    let pool: WorkerPool
    let connectionCount = Atomic<Int>(0)
    /// Response bytes queued in user space and not yet accepted by the kernel, across connections.
    let queuedOutputBytes = Atomic<Int>(0)
    /// Handlers running right now.
    let activeRequests = Atomic<Int>(0)

    init(
        configuration: HTTPServerConfiguration, handler: @escaping HTTPHandler,
        runsOnEventLoop: (@Sendable (HTTPRequest) -> Bool)?, pool: WorkerPool
    ) {
        self.configuration = configuration
        self.handler = handler
        self.runsOnEventLoop = runsOnEventLoop
        self.pool = pool
    }
}
