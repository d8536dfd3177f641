import Checkout
import Foundation
import HTTPServer

extension App {
    /// `POST /api/payments/create-checkout-session` and `POST /api/payments/webhook` (API.md §2, §5).
    func registerPaymentRoutes(_ services: AppServices) {
        let checkout = services.checkout
        route(.post, "/api/payments/create-checkout-session", body: .required) { request in
            let parsed = try CreateCheckoutRequest.parse(request.body)
            let key = request.headers["Idempotency-Key"]
            let result = try checkout.createCheckoutSession(parsed, idempotencyKey: key)
            return .json(result, status: .created)
        }

        let webhooks = services.webhooks
        let metrics = self.metrics
        let logger = self.logger
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
            case .signatureInvalid(let reason):
                metrics.recordWebhook(type: "unknown", result: "rejected")
                logger.warning(
                    "webhook rejected", metadata: ["request_id": .string(request.requestID), "reason": .string(reason)])
                throw HTTPError(
                    .badRequest, code: "signature_invalid",
                    message: "Stripe-Signature is missing, malformed, too old, or matches no configured secret")
            case .invalidPayload(let reason):
                metrics.recordWebhook(type: "unknown", result: "invalid")
                throw HTTPError.invalidJSON(reason)
            case .duplicate(let eventID):
                metrics.recordWebhook(type: Self.eventType(request.body), result: "duplicate")
                logger.info(
                    "webhook duplicate",
                    metadata: ["request_id": .string(request.requestID), "event_id": .string(eventID)])
                return .json(bytes: Array(#"{"received":true,"duplicate":true}"#.utf8))
            case .applied(let eventID, _, _), .noOp(let eventID, _, _), .ignored(let eventID, _):
                let type = Self.eventType(request.body)
                metrics.recordWebhook(type: type, result: outcome.result ?? "unknown")
                logger.info(
                    "webhook processed",
                    metadata: [
                        "request_id": .string(request.requestID), "event_id": .string(eventID), "type": .string(type),
                        "result": .string(outcome.result ?? ""),
                    ])
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
