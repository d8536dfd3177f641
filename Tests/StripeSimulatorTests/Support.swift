import Dispatch
import Foundation
import HTTPServer
import Stripe
import StripeSimulator
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A blocking HTTP/1.1 call over URLSession that does not follow redirects (the hosted page's 303s are
/// what the tests look at).
enum SimHTTP {
    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }

    static let session = URLSession(
        configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)

    static func request(
        _ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8] = []
    ) throws -> Response {
        var r = URLRequest(url: URL(string: url)!)
        r.httpMethod = method
        r.timeoutInterval = 10
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        if !body.isEmpty || method == "POST" { r.httpBody = Data(body) }
        let box = Mutex<Result<Response, Failure>?>(nil)
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: r) { data, response, error in
            let result: Result<Response, Failure>
            if let http = response as? HTTPURLResponse {
                var h: [String: String] = [:]
                for (k, v) in http.allHeaderFields { h[String(describing: k)] = String(describing: v) }
                result = .success(Response(status: http.statusCode, headers: h, body: [UInt8](data ?? Data())))
            } else {
                result = .failure(Failure(description: "no response: \(String(describing: error))"))
            }
            box.withLock { $0 = result }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 15) == .success, let result = box.withLock({ $0 }) else {
            throw Failure(description: "timed out")
        }
        return try result.get()
    }

    /// POST a JSON control body.
    static func control(_ sim: StripeSimulator, _ path: String, _ json: String = "") throws -> Response {
        try request(
            "POST", sim.baseURL + path, headers: ["Content-Type": "application/json"], body: Array(json.utf8))
    }
}

/// A real HTTP receiver on port 0 standing in for our webhook endpoint: records every request and answers
/// with the next scripted status (200 when the script is exhausted).
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        var body: [UInt8]
        var signature: String?
        var event: StripeEvent? { try? JSONDecoder().decode(StripeEvent.self, from: Data(body)) }
    }

    final class Store: Sendable {
        let received = Mutex<[Received]>([])
        let script: Mutex<[Int]>
        init(_ statuses: [Int]) { script = Mutex(statuses) }
    }

    let store: Store
    let server: HTTPServer

    init(statuses: [Int] = []) throws {
        let store = Store(statuses)
        self.store = store
        server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0)) { req in
            store.received.withLock { $0.append(Received(body: req.body, signature: req.headers["Stripe-Signature"])) }
            let status = store.script.withLock { $0.isEmpty ? 200 : $0.removeFirst() }
            return .json(["received": true], status: HTTPStatus(code: status))
        }
        try server.start()
    }

    var url: URL { URL(string: "http://127.0.0.1:\(server.port)/api/payments/webhook")! }

    var all: [Received] { store.received.withLock { $0 } }

    /// Waits (bounded) until `condition` holds for what was received.
    @discardableResult
    func wait(timeout: Duration = .seconds(10), until condition: ([Received]) -> Bool) -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let now = all
            if condition(now) { return now }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return all
    }

    func stop() { server.shutdown() }
}

/// A simulator on port 0 delivering to `receiver` with tiny backoffs.
@discardableResult
func withSimulator<T>(
    receiver: WebhookReceiver?, secrets: [String] = ["whsec_test_sim"],
    now: (@Sendable () -> Int64)? = nil, _ body: (StripeSimulator) throws -> T
) throws -> T {
    var configuration = StripeSimulator.Configuration(port: 0)
    configuration.webhookURL = receiver?.url
    configuration.webhookSecrets = secrets
    configuration.delivery = .init(
        maxAttempts: 4, initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(20), timeout: .seconds(3))
    let sim =
        now.map { StripeSimulator(configuration: configuration, now: $0) }
        ?? StripeSimulator(configuration: configuration)
    try sim.start()
    defer { sim.shutdown() }
    return try body(sim)
}

func makeClient(_ sim: StripeSimulator) -> StripeClient {
    StripeClient(
        secretKey: "sk_test_simtests", apiBase: URL(string: sim.baseURL)!, timeout: .seconds(5), maxRetries: 1,
        initialBackoff: .milliseconds(2), maxBackoff: .milliseconds(5))
}

func sampleParams(expiresIn: Int64 = 3600) -> CheckoutSessionCreateParams {
    CheckoutSessionCreateParams(
        lineItems: [
            .init(name: "Mug <b>", unitAmount: 1250, currency: "usd", quantity: 2),
            .init(name: "Sticker", unitAmount: 500, currency: "usd", quantity: 3),
        ],
        successURL: "https://shop.example/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        cancelURL: "https://shop.example/checkout/cancel?order_id=o1", clientReferenceID: "DO-1",
        metadata: ["order_id": "o1", "order_number": "DO-1"], paymentIntentMetadata: ["order_id": "o1"],
        customerEmail: "buyer@example.com", expiresAt: Int64(Date().timeIntervalSince1970) + expiresIn)
}
