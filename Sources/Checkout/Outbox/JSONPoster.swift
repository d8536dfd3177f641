import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A blocking HTTP POST for outbound webhooks (the fulfillment supplier, Slack), with a hard deadline.
///
/// Runs on the outbox worker's own threads: it waits on a semaphore for a URLSession task, never on
/// Swift's cooperative pool. Redirects are not followed (a webhook that moved is a configuration
/// fault, and following it could send the order somewhere unintended), and at most
/// ``maxResponseBytes`` of an answer are kept.
public final class JSONPoster: Sendable {
    /// What came back.
    public struct Answer: Sendable, Equatable {
        public var status: Int
        /// The first ``JSONPoster/maxResponseBytes`` bytes of the body.
        public var body: [UInt8]
    }

    /// Why no answer came back. Descriptions are short and safe to store and log (no URLs).
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case timeout(seconds: Double)
        case transport(String)

        public var description: String {
            switch self {
            case .timeout(let s): return "no answer within \(JSONPoster.format(s)) s"
            case .transport(let what): return "connection failed (\(what))"
            }
        }
    }

    /// Largest part of an answer body that is kept (a reference is all we read from it).
    public static let maxResponseBytes = 64 * 1024

    private final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }

    private final class Box: Sendable {
        let value = Mutex<Result<Answer, Failure>?>(nil)
    }

    private let session: URLSession
    /// The per-request deadline in seconds.
    public let timeout: Double

    /// - Parameter timeout: seconds a POST may take in total (connect, send, answer).
    public init(timeout: Double) {
        let configuration = URLSessionConfiguration.ephemeral
        // swift-corelibs-foundation rounds timeouts to whole seconds, so URLSession gets a generous
        // backstop and the precise deadline is the semaphore wait in `post`.
        let backstop = (timeout + 1).rounded(.up)
        configuration.timeoutIntervalForRequest = backstop
        configuration.timeoutIntervalForResource = backstop
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        self.session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
        self.timeout = timeout
    }

    deinit {
        session.invalidateAndCancel()
    }

    /// POSTs `body` as `application/json` with `headers`, blocking until an answer, an error, or the
    /// deadline (then the task is cancelled).
    public func post(url: URL, headers: [(String, String)], body: [UInt8]) -> Result<Answer, Failure> {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = (timeout + 1).rounded(.up)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("checkout-server", forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(body)
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let timeout = self.timeout
        let task = session.dataTask(with: request) { data, response, error in
            let result: Result<Answer, Failure>
            if let http = response as? HTTPURLResponse {
                result = .success(
                    Answer(status: http.statusCode, body: Array((data ?? Data()).prefix(Self.maxResponseBytes))))
            } else if let urlError = error as? URLError, urlError.code == .timedOut {
                result = .failure(.timeout(seconds: timeout))
            } else if let urlError = error as? URLError {
                result = .failure(.transport("URLError \(urlError.code.rawValue)"))
            } else {
                result = .failure(
                    .transport(error.map { "\(($0 as NSError).domain) \(($0 as NSError).code)" } ?? "no response"))
            }
            box.value.withLock { $0 = result }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            task.cancel()
            return .failure(.timeout(seconds: timeout))
        }
        return box.value.withLock { $0 } ?? .failure(.transport("no result"))
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
