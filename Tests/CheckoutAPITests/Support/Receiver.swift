import Dispatch
import Foundation
import HTTPServer
import Synchronization
import TestSupport

/// A real local HTTP endpoint standing in for the fulfillment supplier or Slack: an `HTTPServer` on
/// port 0 whose answers a test programs (fail N times then succeed, always fail, hang), and which
/// records every delivery it received.
final class Receiver: Sendable {
    /// What to answer delivery number `n` (0-based).
    enum Action: Sendable {
        /// Answer `status` with `body` (JSON).
        case respond(Int, String)
        /// Block until ``release()`` or `seconds` pass, then answer 503.
        case hang(seconds: Double)
    }

    /// One received request.
    struct Delivery: Sendable {
        var headers: [(String, String)]
        var body: [UInt8]
        func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
    }

    private final class Log: Sendable {
        let list = Mutex<[Delivery]>([])
    }

    private let server: HTTPServer
    private let received: Log
    private let released: DispatchSemaphore
    private let stopped = Atomic<Bool>(false)

    /// Starts listening; `script` picks the answer for each delivery.
    init(path: String = "/hook", _ script: @escaping @Sendable (Int, Delivery) -> Action) throws {
        let received = Log()
        let released = DispatchSemaphore(value: 0)
        self.received = received
        self.released = released
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.workerThreads = 8
        configuration.eventLoops = 1
        configuration.shutdownGrace = .milliseconds(500)
        self.path = path
        server = HTTPServer(configuration: configuration) { request in
            let delivery = Delivery(headers: Array(request.headers.map { ($0.name, $0.value) }), body: request.body)
            let index = received.list.withLock { list in
                list.append(delivery)
                return list.count - 1
            }
            switch script(index, delivery) {
            case .respond(let status, let body):
                return .json(bytes: Array(body.utf8), status: HTTPStatus(code: status))
            case .hang(let seconds):
                if released.wait(timeout: .now() + seconds) == .success { released.signal() }
                return .json(bytes: Array(#"{"error":"hung"}"#.utf8), status: HTTPStatus(code: 503))
            }
        }
        try server.start()
    }

    let path: String

    /// Where to point `FULFILLMENT_WEBHOOK_URL` / `NOTIFY_WEBHOOK_URL`.
    var url: URL { URL(string: "http://127.0.0.1:\(server.port)\(path)")! }

    /// Everything received so far, in arrival order.
    var deliveries: [Delivery] { received.list.withLock { $0 } }

    /// Lets every hung (and future hanging) delivery answer.
    func release() { released.signal() }

    /// Waits (bounded) until at least `count` deliveries arrived.
    @discardableResult
    func waitFor(_ count: Int, timeout: Duration = .seconds(20)) -> Bool {
        eventually(timeout: timeout) { deliveries.count >= count }
    }

    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        release()
        server.shutdown()
    }

    /// Always answers `status`.
    static func always(_ status: Int, body: String = "{}") throws -> Receiver {
        try Receiver { _, _ in .respond(status, body) }
    }
}
