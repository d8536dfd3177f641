import Foundation
import Stripe

/// An answer built by the simulator's core, independent of the HTTP layer (the routes turn it into an
/// `HTTPResponse`). Keeping the core free of HTTP types lets it be driven and tested in process.
struct SimResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: [UInt8] = []

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// JSON with Stripe's formatting (pretty, stable key order).
    static func json<T: Encodable>(_ value: T, status: Int = 200) -> SimResponse {
        let body = (try? encoder.encode(value)).map { [UInt8]($0) } ?? Array("{}".utf8)
        return SimResponse(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    /// A Stripe-shaped error body `{"error": {...}}` with the error's status.
    static func stripeError(_ error: StripeAPIError) -> SimResponse {
        json(StripeAPIError.Envelope(error: error), status: error.status)
    }

    static func html(_ s: String, status: Int = 200) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(s.utf8))
    }

    static func redirect(_ location: String) -> SimResponse {
        SimResponse(status: 303, headers: [("Location", location)], body: [])
    }

    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}
