import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One blocking HTTP exchange over URLSession with a hard deadline: the small client behind the Stripe
/// API calls, the simulator's webhook deliveries and the outbox's outbound webhooks.
///
/// Blocks the calling thread on a semaphore (never Swift's cooperative pool), so it belongs on worker
/// threads. Owns its URLSession and invalidates it when the last reference goes away.
public final class BlockingHTTPClient: Sendable {
    /// A received HTTP answer.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        /// At most the client's `maxResponseBytes` of the body.
        public var body: [UInt8]

        public init(status: Int, headers: [(String, String)], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// Case-insensitive header lookup.
        public func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
    }

    /// Why no answer came back. Descriptions are short and safe to log (no URLs, no bodies).
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// No answer within the deadline (the task was cancelled).
        case timeout
        /// The exchange failed before an HTTP answer (connect refused, reset, DNS, TLS).
        case transport(String)

        public var description: String {
            switch self {
            case .timeout: return "timeout"
            case .transport(let what): return what
            }
        }
    }

    /// Refuses every redirect: the answer is the 3xx itself.
    private final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }

    /// Holds the completion handler's result for the waiting thread.
    private final class Box: Sendable {
        let result = Mutex<Result<Answer, Failure>?>(nil)
    }

    private let session: URLSession
    /// The deadline of one exchange (connect, send, answer).
    public let timeout: Duration
    /// Largest part of an answer body that is kept.
    public let maxResponseBytes: Int

    /// - Parameters:
    ///   - timeout: the hard deadline of one exchange.
    ///   - followRedirects: false answers a 3xx as it is (a moved webhook is a configuration fault, and
    ///     following it could send data somewhere unintended; Stripe counts a 3xx as a failed delivery).
    ///   - maxResponseBytes: how much of an answer body to keep.
    public init(timeout: Duration, followRedirects: Bool = false, maxResponseBytes: Int = 16 << 20) {
        let configuration = URLSessionConfiguration.ephemeral
        // swift-corelibs-foundation truncates timeouts to whole seconds (0.3 s becomes an immediate
        // timeout), so URLSession gets a generous whole-second backstop and the precise deadline is the
        // semaphore wait in `perform`.
        let backstop = (Self.seconds(timeout) + 1).rounded(.up)
        configuration.timeoutIntervalForRequest = backstop
        configuration.timeoutIntervalForResource = backstop
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        self.session = URLSession(
            configuration: configuration, delegate: followRedirects ? nil : NoRedirects(), delegateQueue: nil)
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    deinit {
        session.invalidateAndCancel()
    }

    /// Performs `request`, blocking until an answer, an error, or the deadline, after which the task is
    /// cancelled and the result is ``Failure/timeout``.
    public func perform(_ request: URLRequest) -> Result<Answer, Failure> {
        var request = request
        request.timeoutInterval = (Self.seconds(timeout) + 1).rounded(.up)
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let keep = maxResponseBytes
        let task = session.dataTask(with: request) { data, response, error in
            let result: Result<Answer, Failure>
            if let http = response as? HTTPURLResponse {
                var headers: [(String, String)] = []
                for (k, v) in http.allHeaderFields {
                    headers.append((String(describing: k), String(describing: v)))
                }
                result = .success(
                    Answer(status: http.statusCode, headers: headers, body: Array((data ?? Data()).prefix(keep))))
            } else if let error {
                result = .failure(Self.map(error))
            } else {
                result = .failure(.transport("no HTTP response"))
            }
            box.result.withLock { $0 = result }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + Self.seconds(timeout)) == .timedOut {
            task.cancel()
            return .failure(.timeout)
        }
        return box.result.withLock { $0 } ?? .failure(.transport("no result"))
    }

    /// POSTs `body` with `headers`.
    public func post(url: URL, headers: [(String, String)], body: [UInt8]) -> Result<Answer, Failure> {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(body)
        return perform(request)
    }

    private static func map(_ error: any Error) -> Failure {
        if let urlError = error as? URLError {
            return urlError.code == .timedOut ? .timeout : .transport("URLError \(urlError.code.rawValue)")
        }
        let ns = error as NSError
        return .transport("\(ns.domain) \(ns.code)")
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
