import Checkout
import Foundation
import HTTPServer

extension App {
    /// `POST /api/payments/create-checkout-session` and `POST /api/payments/webhook` (docs/API.md §2, §5).
    func registerPaymentRoutes(_ services: AppServices) {
        let checkout = services.checkout
        route(.post, "/api/payments/create-checkout-session", body: .required, stripeBound: true) { request in
            let parsed = try CreateCheckoutRequest.parse(request.body)
            let key = request.headers["Idempotency-Key"]
            let result = try checkout.createCheckoutSession(parsed, idempotencyKey: key)
            return .json(result, status: .created)
        }

        let webhooks = services.webhooks
        let metrics = self.metrics
        route(.post, "/api/payments/webhook", body: .raw) { request in
            // The raw bytes go to the processor untouched: the signature covers exactly these bytes.
            let outcome: WebhookOutcome
            do {
                outcome = try webhooks.process(
                    payload: request.body, signatureHeader: request.headers["Stripe-Signature"])
            } catch {
                metrics.recordWebhook(type: Self.eventType(request.body), result: "error")
                throw error
            }
            switch outcome {
            case .signatureInvalid:
                // The processor logs the reason; the access log line carries the request id and status.
                metrics.recordWebhook(type: "unknown", result: "rejected")
                throw HTTPError(
                    .badRequest, code: "signature_invalid",
                    message: "Stripe-Signature is missing, malformed, too old, or matches no configured secret")
            case .invalidPayload(let reason):
                metrics.recordWebhook(type: "unknown", result: "invalid")
                throw HTTPError.invalidJSON(reason)
            case .duplicate:
                metrics.recordWebhook(type: Self.eventType(request.body), result: "duplicate")
                return .json(bytes: Array(#"{"received":true,"duplicate":true}"#.utf8))
            case .applied, .noOp, .ignored, .subscriptionEvent:
                // One log line per event comes from the processor (event id, type, result).
                metrics.recordWebhook(type: Self.eventType(request.body), result: outcome.result ?? "unknown")
                return .json(bytes: Array(#"{"received":true}"#.utf8))
            }
        }
    }

    /// The `type` of an already-verified Stripe event body, for metric labels (`unknown` if absent).
    static func eventType(_ body: [UInt8]) -> String {
        struct Envelope: Decodable { var type: String }
        return (try? JSONDecoder().decode(Envelope.self, from: Data(body)))?.type ?? "unknown"
    }
}
