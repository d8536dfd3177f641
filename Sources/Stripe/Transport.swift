import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One blocking HTTP exchange over URLSession, with a hard deadline. Owns the session and invalidates
/// it when the last client copy goes away.
final class Transport: Sendable {
    /// A received HTTP answer.
    struct Answer: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: Data

        /// Case-insensitive header lookup.
        func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
    }

    private let session: URLSession
    private let timeout: Duration

    init(timeout: Duration) {
        let configuration = URLSessionConfiguration.ephemeral
        // swift-corelibs-foundation truncates timeouts to whole seconds (0.3 s becomes an immediate
        // timeout), so URLSession gets a generous whole-second backstop and the precise per-attempt
        // deadline is the semaphore wait below.
        let backstop = (timeout.seconds + 1).rounded(.up)
        configuration.timeoutIntervalForRequest = backstop
        configuration.timeoutIntervalForResource = backstop
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        self.session = URLSession(configuration: configuration)
        self.timeout = timeout
    }

    deinit {
        session.invalidateAndCancel()
    }

    /// Holds the completion handler's result for the waiting thread.
    private final class Box: Sendable {
        let result = Mutex<Result<Answer, StripeError>?>(nil)
    }

    /// Performs `request`, blocking the calling thread until an answer, an error, or the deadline
    /// (`timeout`), after which the task is cancelled and the result is `.timeout`.
    func perform(_ request: URLRequest) -> Result<Answer, StripeError> {
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            let result: Result<Answer, StripeError>
            if let error {
                result = .failure(Self.map(error))
            } else if let http = response as? HTTPURLResponse {
                var headers: [(String, String)] = []
                for (k, v) in http.allHeaderFields {
                    headers.append((String(describing: k), String(describing: v)))
                }
                result = .success(Answer(status: http.statusCode, headers: headers, body: data ?? Data()))
            } else {
                result = .failure(.transport("no HTTP response"))
            }
            box.result.withLock { $0 = result }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout.seconds) == .timedOut {
            task.cancel()
            return .failure(.timeout)
        }
        return box.result.withLock { $0 } ?? .failure(.transport("no result"))
    }

    private static func map(_ error: any Error) -> StripeError {
        if let urlError = error as? URLError {
            switch urlError.code {
            case .timedOut: return .timeout
            default: return .transport("URLError \(urlError.code.rawValue)")
            }
        }
        let ns = error as NSError
        return .transport("\(ns.domain) \(ns.code)")
    }
}
