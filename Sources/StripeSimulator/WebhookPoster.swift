import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Blocking HTTP POST for webhook deliveries (URLSession underneath), with a hard per-attempt deadline.
/// Redirects are not followed: Stripe counts a 3xx as a failed delivery.
final class WebhookPoster: Sendable {
    struct Outcome: Sendable {
        var status: Int?
        var error: String?
    }

    private final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
        ) {
            completionHandler(nil)
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
        self.session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
        self.timeout = timeout
    }

    deinit {
        session.invalidateAndCancel()
    }

    private final class Box: Sendable {
        let value = Mutex<Outcome?>(nil)
    }

    func post(url: URL, headers: [(String, String)], body: [UInt8]) -> Outcome {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = (timeout.seconds + 1).rounded(.up)
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.httpBody = Data(body)
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { _, response, error in
            let outcome: Outcome
            if let http = response as? HTTPURLResponse {
                outcome = Outcome(status: http.statusCode, error: nil)
            } else {
                outcome = Outcome(
                    status: nil,
                    error: error.map { String(describing: type(of: $0)) + " " + ($0 as NSError).localizedDescription }
                        ?? "no response")
            }
            box.value.withLock { $0 = outcome }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout.seconds) == .timedOut {
            task.cancel()
            return Outcome(status: nil, error: "timeout")
        }
        return box.value.withLock { $0 } ?? Outcome(status: nil, error: "no result")
    }
}
