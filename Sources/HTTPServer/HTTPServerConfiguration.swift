import Foundation

/// Everything an `HTTPServer` can be tuned with. Every limit has a safe default.
///
/// Why every size and wait is bounded: a server on the internet meets slow clients (slowloris), huge
/// headers, endless bodies and clients that never read; each limit below turns one of those into a
/// clean, documented status instead of unbounded memory or a stuck thread.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind: an IPv4 or IPv6 literal or a host name (`"::"` = all IPv6 and, dual-stack, IPv4).
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks a free one (read it back from `HTTPServer.port`).
    public var port: Int = 8080
    /// Number of epoll event loops (threads doing socket I/O); defaults to the number of cores.
    public var eventLoops: Int = HTTPServerConfiguration.defaultEventLoops
    /// Number of worker threads running handlers (which may block on I/O).
    public var workerThreads: Int = 16
    /// Requests that may wait for a worker; beyond it the server answers 503 `server_busy` at once.
    public var workerQueueLimit: Int = 1024
    /// Bytes of request line + headers (431 beyond).
    public var maxHeaderBytes: Int = 16384
    /// Bytes of request body, checked against `Content-Length` before reading (413 beyond).
    public var maxBodyBytes: Int = 1 << 20
    /// Number of header fields (431 beyond).
    public var maxHeaderCount: Int = 100
    /// Time from the first byte of a request to the end of its headers (408 and close; slowloris).
    public var headerTimeout: Duration = .seconds(10)
    /// Time to receive a request body once its headers are in (408 and close).
    public var bodyTimeout: Duration = .seconds(30)
    /// Time a keep-alive connection may sit idle between requests (closed silently).
    public var idleTimeout: Duration = .seconds(60)
    /// Open connections across all loops; more are accepted, answered 503 and closed.
    public var maxConnections: Int = 10000
    /// Unsent response bytes per connection above which the server stops reading (and so stops
    /// producing more output) from that connection until the client catches up.
    public var maxWriteBuffer: Int = 4 << 20
    /// Time `shutdown()` waits for in-flight requests before closing their connections.
    public var shutdownGrace: Duration = .seconds(10)
    /// Listen backlog.
    public var backlog: Int32 = 4096

    /// The defaults above with `host` and `port`.
    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }

    /// The number of active processors (at least 1).
    public static var defaultEventLoops: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    var limits: HTTPRequestParser.Limits {
        HTTPRequestParser.Limits(
            maxHeaderBytes: maxHeaderBytes, maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes)
    }

    var timeouts: HTTPConnectionStateMachine.Timeouts {
        HTTPConnectionStateMachine.Timeouts(
            header: Self.nanoseconds(headerTimeout), body: Self.nanoseconds(bodyTimeout),
            idle: Self.nanoseconds(idleTimeout))
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        let ns = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        return ns <= 0 ? 1 : UInt64(ns)
    }
}
