import Foundation
import HTTPServer
import Stripe

/// HTTP wiring: Stripe's API under `/v1`, the hosted page under `/pay`, the control API under `/_sim`.
extension StripeSimulator {
    /// The router serving everything; `start()` serves it, tests may also call its handler in process.
    public func router() -> Router {
        let r = Router()
        r.use(StripeEdge())
        // Stripe's API.
        r.post("/v1/checkout/sessions") { [self] req in
            http(
                createSession(
                    authorization: req.headers["Authorization"], idempotencyKey: req.headers["Idempotency-Key"],
                    body: req.body))
        }
        r.get("/v1/checkout/sessions/:id") { [self] req in
            http(
                retrieveSession(
                    authorization: req.headers["Authorization"], id: req.pathParameters["id"] ?? "",
                    query: Self.query(req)))
        }
        r.post("/v1/checkout/sessions/:id/expire") { [self] req in
            http(
                expireSessionAPI(
                    authorization: req.headers["Authorization"], idempotencyKey: req.headers["Idempotency-Key"],
                    id: req.pathParameters["id"] ?? "", body: req.body))
        }
        r.get("/v1/checkout/sessions/:id/line_items") { [self] req in
            http(listLineItems(authorization: req.headers["Authorization"], id: id(req), query: Self.query(req)))
        }
        r.get("/v1/payment_intents/:id") { [self] req in
            http(retrievePaymentIntent(authorization: req.headers["Authorization"], id: id(req)))
        }
        r.get("/v1/charges/:id") { [self] req in
            http(retrieveCharge(authorization: req.headers["Authorization"], id: id(req)))
        }
        r.get("/v1/refunds") { [self] req in
            http(listRefunds(authorization: req.headers["Authorization"], query: Self.query(req)))
        }
        r.get("/v1/refunds/:id") { [self] req in
            http(retrieveRefund(authorization: req.headers["Authorization"], id: id(req)))
        }
        addRefundRoutes(r)
        r.get("/v1/events/:id") { [self] req in
            http(retrieveEvent(authorization: req.headers["Authorization"], id: id(req)))
        }

        addBillingRoutes(r)  // subscriptions, invoices, customers (StripeSimulator+BillingAPI.swift)

        // The hosted checkout page.
        r.get("/pay/:id") { [self] req in http(hostedPage(id: req.pathParameters["id"] ?? "")) }
        r.post("/pay/:id/pay") { [self] req in http(hostedPay(id: req.pathParameters["id"] ?? "")) }
        r.post("/pay/:id/decline") { [self] req in http(hostedDecline(id: req.pathParameters["id"] ?? "")) }
        r.post("/pay/:id/cancel") { [self] req in http(hostedCancel(id: req.pathParameters["id"] ?? "")) }

        // Control API.
        r.get("/_sim/health") { _ in .json(["ok": true]) }
        r.get("/_sim/sessions") { [self] _ in .json(ListBody(data: sessions())) }
        r.get("/_sim/sessions/:id") { [self] req in
            let id = req.pathParameters["id"] ?? ""
            guard let s = session(id) else { return http(.stripeError(Self.noSuchSession(id))) }
            return http(.json(s))
        }
        struct EmailBody: Decodable { var email: String? }
        r.post("/_sim/sessions/:id/pay") { [self] req in
            let b: EmailBody = try body(req)
            return action { () throws(StripeAPIError) in try pay(sessionID: id(req), email: b.email) }
        }
        r.post("/_sim/sessions/:id/complete-unpaid") { [self] req in
            let b: EmailBody = try body(req)
            return action { () throws(StripeAPIError) in try completeUnpaid(sessionID: id(req), email: b.email) }
        }
        r.post("/_sim/sessions/:id/async-payment-succeeded") { [self] req in
            action { () throws(StripeAPIError) in try asyncPaymentSucceeded(sessionID: id(req)) }
        }
        r.post("/_sim/sessions/:id/async-payment-failed") { [self] req in
            action { () throws(StripeAPIError) in try asyncPaymentFailed(sessionID: id(req)) }
        }
        struct DeclineBody: Decodable {
            var message: String?
            var declineCode: String?
        }
        r.post("/_sim/sessions/:id/decline") { [self] req in
            let b: DeclineBody = try body(req)
            return action { () throws(StripeAPIError) in
                try decline(sessionID: id(req), message: b.message, declineCode: b.declineCode ?? "generic_decline")
            }
        }
        r.post("/_sim/sessions/:id/expire") { [self] req in
            action { () throws(StripeAPIError) in try expire(sessionID: id(req)) }
        }
        struct RefundBody: Decodable { var amount: Int64? }
        r.post("/_sim/sessions/:id/refund") { [self] req in
            let b: RefundBody = try body(req)
            return action { () throws(StripeAPIError) in try refund(sessionID: id(req), amount: b.amount) }
        }

        r.get("/_sim/events") { [self] req in .json(ListBody(data: events(type: req.query["type"]))) }
        r.get("/_sim/events/:id") { [self] req in
            let id = id(req)
            guard let bytes = eventBody(id) else {
                return http(.stripeError(Self.controlError(404, "resource_missing", "No such event: '\(id)'")))
            }
            return http(SimResponse(status: 200, headers: [("Content-Type", "application/json")], body: bytes))
        }
        struct TimesBody: Decodable {
            var times: Int?
            var order: SimulatorDeliveryOrder?
        }
        r.post("/_sim/events/:id/resend") { [self] req in
            let b: TimesBody = try body(req)
            return done { () throws(StripeAPIError) in try resend(eventID: id(req), times: b.times ?? 1) }
        }
        struct DeliverBody: Decodable {
            var ids: [String]
            var order: SimulatorDeliveryOrder?
            var times: Int?
            var parallel: Bool?
        }
        r.post("/_sim/events/deliver") { [self] req in
            let b: DeliverBody = try body(req)
            return done { () throws(StripeAPIError) in
                try deliver(
                    eventIDs: b.ids, order: b.order ?? .given, times: b.times ?? 1, parallel: b.parallel ?? false)
            }
        }
        r.post("/_sim/deliveries/hold") { [self] _ in
            holdDeliveries()
            return .json(["ok": true])
        }
        struct DelayBody: Decodable { var ms: Int64 }
        r.post("/_sim/deliveries/delay") { [self] req in
            let b: DelayBody = try body(req)
            guard (0...600_000).contains(b.ms) else {
                throw HTTPError(.badRequest, code: "parameter_invalid_integer", message: "ms must be 0…600000")
            }
            delayDeliveries(by: .milliseconds(b.ms))
            return .json(["ok": true])
        }
        r.post("/_sim/deliveries/release") { [self] req in
            let b: TimesBody = try body(req)
            releaseDeliveries(order: b.order ?? .given, times: b.times ?? 1)
            return .json(["ok": true])
        }
        r.get("/_sim/deliveries/wait") { [self] req in
            let seconds = min(60, max(0, Double(req.query["timeout"] ?? "10") ?? 10))
            let idle = waitForDeliveries(timeout: .milliseconds(Int64(seconds * 1000)))
            return .json(["idle": idle], status: idle ? .ok : HTTPStatus(code: 408))
        }

        struct FaultBody: Decodable {
            var status: Int?
            var hangSeconds: Double?
            var shouldRetry: Bool?
            var retryAfter: Int?
            var count: Int?
        }
        r.post("/_sim/faults") { [self] req in
            let b: FaultBody = try body(req)
            guard (b.status == nil) != (b.hangSeconds == nil) else {
                throw HTTPError(
                    .badRequest, code: "parameter_invalid", message: "give exactly one of status or hangSeconds")
            }
            injectFault(
                SimulatorFault(
                    status: b.status, hangSeconds: b.hangSeconds, shouldRetry: b.shouldRetry, retryAfter: b.retryAfter),
                count: b.count ?? 1)
            return .json(["ok": true])
        }
        r.delete("/_sim/faults") { [self] _ in
            clearFaults()
            return .json(["ok": true])
        }
        r.get("/_sim/requests") { [self] _ in .json(ListBody(data: requests())) }
        struct ClockBody: Decodable { var seconds: Int64 }
        r.post("/_sim/clock/advance") { [self] req in
            let b: ClockBody = try body(req)
            advanceClock(seconds: b.seconds)
            return .json(["ok": true])
        }
        struct WebhookBody: Decodable {
            var url: String?
            var secrets: [String]?
        }
        r.put("/_sim/webhook") { [self] req in
            let b: WebhookBody = try body(req)
            let url = try b.url.map { (s: String) throws(HTTPError) -> URL in
                guard let u = URL(string: s), u.scheme == "http" || u.scheme == "https" else {
                    throw HTTPError(.badRequest, code: "url_invalid", message: "url must be http(s)")
                }
                return u
            }
            setWebhook(url: url, secrets: b.secrets ?? [])
            return .json(["ok": true])
        }
        r.post("/_sim/reset") { [self] _ in
            reset()
            return .json(["ok": true])
        }
        return r
    }

    /// Gives `/v1` answers that did not come from a Stripe route (unknown URL, wrong method) Stripe's error
    /// shape and a `Request-Id`, as Stripe's edge does.
    struct StripeEdge: HTTPMiddleware {
        func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
            let response = try next(request)
            guard request.path.hasPrefix("/v1/"), response.headers["Request-Id"] == nil else { return response }
            var out = HTTPResponse(
                status: response.status, headers: HTTPHeaders(),
                body: SimResponse.stripeError(
                    StripeAPIError(
                        status: response.status.code, type: "invalid_request_error",
                        message:
                            "Unrecognized request URL (\(request.method.rawValue): \(request.path)). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
                    )
                ).body)
            out.headers.add("Content-Type", "application/json")
            out.headers.add("Request-Id", StripeID.make("req_", length: 14))
            if let allow = response.headers["Allow"] { out.headers.add("Allow", allow) }
            return out
        }
    }

    /// `{"data": [...]}` like Stripe's list objects.
    struct ListBody<T: Encodable>: Encodable {
        var object = "list"
        var data: [T]
    }

    func id(_ req: HTTPRequest) -> String { req.pathParameters["id"] ?? "" }

    /// A GET's query string as form bytes (Stripe's clients send list parameters there).
    static func query(_ req: HTTPRequest) -> [UInt8] {
        guard let q = req.target.firstIndex(of: "?") else { return [] }
        return Array(req.target[req.target.index(after: q)...].utf8)
    }

    /// A control body; an empty body is `{}`.
    func body<T: Decodable>(_ req: HTTPRequest) throws(HTTPError) -> T {
        if req.body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) {
            do {
                return try JSONDecoder().decode(T.self, from: Data("{}".utf8))
            } catch {
                throw HTTPError.invalidJSON("this control route needs a JSON body")
            }
        }
        return try req.decodeJSON(T.self)
    }

    private func action(_ run: () throws(StripeAPIError) -> SimulatorActionResult) -> HTTPResponse {
        do {
            return http(.json(try run()))
        } catch {
            return http(.stripeError(error))
        }
    }

    private func done(_ run: () throws(StripeAPIError) -> Void) -> HTTPResponse {
        do {
            try run()
            return .json(["ok": true])
        } catch {
            return http(.stripeError(error))
        }
    }

    func http(_ r: SimResponse) -> HTTPResponse {
        HTTPResponse(status: HTTPStatus(code: r.status), headers: HTTPHeaders(r.headers), body: r.body)
    }
}
