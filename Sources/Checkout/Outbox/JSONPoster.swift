import BlockingHTTP
import Foundation

/// A blocking HTTP POST for outbound webhooks (the fulfillment supplier, Slack), with a hard deadline.
///
/// Runs on the outbox worker's own threads (``BlockingHTTPClient`` blocks, never on Swift's cooperative
/// pool). Redirects are not followed (a webhook that moved is a configuration
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

    private let client: BlockingHTTPClient
    /// The per-request deadline in seconds.
    public let timeout: Double

    /// - Parameter timeout: seconds a POST may take in total (connect, send, answer).
    public init(timeout: Double) {
        self.client = BlockingHTTPClient(
            timeout: .milliseconds(Int64(timeout * 1000)), followRedirects: false,
            maxResponseBytes: Self.maxResponseBytes)
        self.timeout = timeout
    }

    /// POSTs `body` as `application/json` with `headers`, blocking until an answer, an error, or the
    /// deadline (then the task is cancelled).
    public func post(url: URL, headers: [(String, String)], body: [UInt8]) -> Result<Answer, Failure> {
        let all = [("Content-Type", "application/json"), ("User-Agent", "checkout-server")] + headers
        switch client.post(url: url, headers: all, body: body) {
        case .success(let answer): return .success(Answer(status: answer.status, body: answer.body))
        case .failure(.timeout): return .failure(.timeout(seconds: timeout))
        case .failure(.transport(let what)): return .failure(.transport(what))
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
