import BlockingHTTP
import Dispatch
import Foundation
import HTTPServer
import Stripe
import Synchronization

/// An offline, stateful stand-in for the part of Stripe this project uses: Checkout Sessions over the
/// real REST shapes, a hosted payment page, signed webhook delivery, and a JSON control API that lets
/// tests and scripts pay, decline, expire and refund without a browser, and inject faults.
///
/// Contract: the API validates and answers like Stripe for `POST /v1/checkout/sessions`,
/// `GET /v1/checkout/sessions/:id` and `POST /v1/checkout/sessions/:id/expire`; every event is delivered
/// at least once (unless delivery is exhausted) with Stripe's envelope and a `Stripe-Signature` freshly
/// computed per attempt. State is in memory only. See `README.md` beside this file for the control API.
public final class StripeSimulator: Sendable {
    /// How webhook deliveries are retried. Stripe retries for days; tests want milliseconds.
    public struct DeliveryPolicy: Sendable {
        /// Attempts per delivery, including the first.
        public var maxAttempts: Int
        /// Wait before retry n is `initialBackoff × 2ⁿ`, capped by `maxBackoff`.
        public var initialBackoff: Duration
        public var maxBackoff: Duration
        /// No new attempt starts this long after the first one.
        public var maxTotal: Duration
        /// Per-attempt HTTP timeout.
        public var timeout: Duration

        public init(
            maxAttempts: Int = 8, initialBackoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(60),
            maxTotal: Duration = .seconds(600), timeout: Duration = .seconds(10)
        ) {
            self.maxAttempts = max(1, maxAttempts)
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.maxTotal = maxTotal
            self.timeout = timeout
        }
    }

    /// Start-up settings (the `stripe-sim` flags).
    public struct Configuration: Sendable {
        public var host: String
        /// 0 = any free port (read `port` after `start()`).
        public var port: Int
        /// Base of hosted page URLs (`<publicURL>/pay/<cs_id>`); default `http://<host>:<port>`.
        public var publicURL: String?
        /// Where events are POSTed; nil = events are recorded but not delivered.
        public var webhookURL: URL?
        /// Signing secrets; one `v1` per secret (rotation). Empty = deliveries are unsigned.
        public var webhookSecrets: [String]
        public var delivery: DeliveryPolicy
        /// `api_version` in events.
        public var apiVersion: String
        /// Longest fault-injected hang honoured.
        public var maxHang: Duration
        /// HTTP handler threads (a fault-injected hang occupies one for its duration).
        public var workerThreads: Int
        /// One line per API call, action and delivery attempt (the CLI writes them to stderr); never
        /// headers, keys, secrets or bodies.
        public var log: (@Sendable (String) -> Void)?

        public init(
            host: String = "127.0.0.1", port: Int = 12111, publicURL: String? = nil, webhookURL: URL? = nil,
            webhookSecrets: [String] = [], delivery: DeliveryPolicy = DeliveryPolicy(),
            apiVersion: String = StripeClient.apiVersion, maxHang: Duration = .seconds(120), workerThreads: Int = 16,
            log: (@Sendable (String) -> Void)? = nil
        ) {
            self.host = host
            self.port = port
            self.publicURL = publicURL
            self.webhookURL = webhookURL
            self.webhookSecrets = webhookSecrets
            self.delivery = delivery
            self.apiVersion = apiVersion
            self.maxHang = maxHang
            self.workerThreads = max(2, workerThreads)
            self.log = log
        }
    }

    public let configuration: Configuration
    let state: Mutex<SimulatorState>
    let clock: @Sendable () -> Int64
    /// Wakes the delivery thread (new job, release, reset, stop).
    let wake = DispatchSemaphore(value: 0)
    /// Signalled (many times) to cut fault-injected hangs short on reset/shutdown.
    let hangInterrupt = Mutex<[DispatchSemaphore]>([])
    let lifecycle = Mutex<Lifecycle>(Lifecycle())
    /// Delivers webhooks; redirects are not followed (Stripe counts a 3xx as a failed delivery).
    let poster: BlockingHTTPClient

    struct Lifecycle {
        var server: HTTPServer?
        var boundPort: Int?
        var running = false
        var deliveryThreadDone: DispatchSemaphore?
    }

    /// - Parameters:
    ///   - configuration: see `Configuration`.
    ///   - now: unix seconds; injectable so tests can control `created`, `expires_at` and signing times.
    public init(
        configuration: Configuration = Configuration(),
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.configuration = configuration
        self.clock = now
        var s = SimulatorState()
        s.webhookURL = configuration.webhookURL
        s.webhookSecrets = configuration.webhookSecrets
        self.state = Mutex(s)
        self.poster = BlockingHTTPClient(timeout: configuration.delivery.timeout, maxResponseBytes: 64 * 1024)
    }

    /// Simulated now: the clock plus any `/_sim/clock` advance.
    func now(_ s: SimulatorState) -> Int64 { clock() + s.clockOffset }

    /// Base URL of the simulator itself (`http://host:port`), valid after `start()`.
    public var baseURL: String {
        "http://\(configuration.host):\(port)"
    }

    /// The bound port (after `start()`), else the configured one.
    public var port: Int {
        lifecycle.withLock { $0.boundPort } ?? configuration.port
    }

    /// Base for hosted page URLs.
    var publicBase: String {
        var base = configuration.publicURL ?? baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// Binds the HTTP server and starts the delivery thread; returns at once.
    public func start() throws {
        var http = HTTPServerConfiguration(host: configuration.host, port: configuration.port)
        http.workerThreads = configuration.workerThreads
        http.shutdownGrace = .seconds(2)
        let server = HTTPServer(configuration: http, handler: router().handler())
        try server.start()
        let done = DispatchSemaphore(value: 0)
        lifecycle.withLock {
            $0.server = server
            $0.boundPort = server.port
            $0.running = true
            $0.deliveryThreadDone = done
        }
        let thread = Thread { [self] in
            self.deliveryLoop()
            done.signal()
        }
        thread.name = "stripe-sim-webhooks"
        thread.start()
    }

    /// Stops accepting, cuts hangs short, finishes in-flight requests, stops delivery. Idempotent.
    public func shutdown() {
        let (server, done) = lifecycle.withLock { l -> (HTTPServer?, DispatchSemaphore?) in
            guard l.running else { return (nil, nil) }  // never started, or already stopped
            l.running = false
            return (l.server, l.deliveryThreadDone)
        }
        interruptHangs()
        wake.signal()
        server?.shutdown()
        _ = done?.wait(timeout: .now() + 15)
    }

    /// Blocks until `shutdown()` has stopped the server.
    public func waitUntilStopped() {
        lifecycle.withLock { $0.server }?.waitUntilStopped()
    }

    var isRunning: Bool { lifecycle.withLock { $0.running } }

    func interruptHangs() {
        hangInterrupt.withLock { waiters in
            for w in waiters { w.signal() }
            waiters.removeAll()
        }
    }
}
