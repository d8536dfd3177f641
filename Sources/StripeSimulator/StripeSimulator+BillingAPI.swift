import Foundation
import HTTPServer
import Stripe

/// The billing part of Stripe's API (`/v1/subscriptions`, `/v1/invoices`, `/v1/customers`) and the billing
/// control routes (`/_sim/subscriptions…`, `/_sim/invoices…`).
extension StripeSimulator {
    /// `GET /v1/subscriptions/:id`.
    func retrieveSubscription(authorization: String?, id: String) -> SimResponse {
        api(method: "GET", path: "/v1/subscriptions/\(id)", authorization: authorization, idempotencyKey: nil, body: [])
        { (s: inout SimulatorState, _: String, _: String?, _: [String: FormValue]) throws(StripeAPIError) in
            guard let record = s.billing.subscriptions[id] else { throw Self.noSuch("subscription", id, param: "id") }
            return .json(wire(subscription: record.subscription, s))
        }
    }

    /// `POST /v1/subscriptions/:id`: `cancel_at_period_end` (and `metadata`, merged as Stripe does).
    func updateSubscription(authorization: String?, idempotencyKey: String?, id: String, body: [UInt8])
        -> SimResponse
    {
        api(
            method: "POST", path: "/v1/subscriptions/\(id)", authorization: authorization,
            idempotencyKey: idempotencyKey, body: body
        ) {
            (s: inout SimulatorState, requestID: String, key: String?, params: [String: FormValue])
                throws(StripeAPIError) in
            try SessionCreateRequest.unknownKeys(
                params, allowed: ["cancel_at_period_end", "metadata", "expand"], prefix: nil)
            guard s.billing.subscriptions[id] != nil else { throw Self.noSuch("subscription", id, param: "id") }
            var atPeriodEnd: Bool?
            if let raw = try SessionCreateRequest.string(params["cancel_at_period_end"], param: "cancel_at_period_end")
            {
                guard raw == "true" || raw == "false" else {
                    throw SessionCreateRequest.invalid(
                        "cancel_at_period_end", "Invalid boolean: \(raw)", code: "parameter_invalid_boolean")
                }
                atPeriodEnd = raw == "true"
            }
            if params["metadata"] != nil {
                let metadata = try SessionCreateRequest.metadata(params["metadata"], param: "metadata")
                s.billing.subscriptions[id]?.subscription.metadata.merge(metadata) { _, new in new }
            }
            let sub = try cancelSubscription(
                &s, id: id, atPeriodEnd: atPeriodEnd, immediately: false,
                request: .init(id: requestID, idempotencyKey: key))
            return .json(wire(subscription: sub, s))
        }
    }

    /// `DELETE /v1/subscriptions/:id`: cancels now (`customer.subscription.deleted`).
    func deleteSubscription(authorization: String?, idempotencyKey: String?, id: String) -> SimResponse {
        api(
            method: "DELETE", path: "/v1/subscriptions/\(id)", authorization: authorization,
            idempotencyKey: idempotencyKey, body: []
        ) { (s: inout SimulatorState, requestID: String, key: String?, _: [String: FormValue]) throws(StripeAPIError) in
            let sub = try cancelSubscription(
                &s, id: id, atPeriodEnd: nil, immediately: true, request: .init(id: requestID, idempotencyKey: key))
            return .json(wire(subscription: sub, s))
        }
    }

    /// `GET /v1/invoices/:id`.
    func retrieveInvoice(authorization: String?, id: String) -> SimResponse {
        api(method: "GET", path: "/v1/invoices/\(id)", authorization: authorization, idempotencyKey: nil, body: []) {
            (s: inout SimulatorState, _: String, _: String?, _: [String: FormValue]) throws(StripeAPIError) in
            guard let invoice = s.billing.invoices[id] else { throw Self.noSuch("invoice", id, param: "invoice") }
            return .json(wire(invoice: invoice))
        }
    }

    /// `GET /v1/customers/:id`.
    func retrieveCustomer(authorization: String?, id: String) -> SimResponse {
        api(method: "GET", path: "/v1/customers/\(id)", authorization: authorization, idempotencyKey: nil, body: []) {
            (s: inout SimulatorState, _: String, _: String?, _: [String: FormValue]) throws(StripeAPIError) in
            guard let customer = s.billing.customers[id] else { throw Self.noSuch("customer", id, param: "id") }
            return .json(wire(customer: customer))
        }
    }

    private static func pathID(_ req: HTTPRequest) -> String { req.pathParameters["id"] ?? "" }

    private struct OutcomeBody: Decodable { var outcome: RenewalOutcome? }

    /// `{"outcome": "paid"|"failed"}`; an empty body is `paid`.
    private static func outcome(_ req: HTTPRequest) throws(HTTPError) -> RenewalOutcome {
        if req.body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) { return .paid }
        return try req.decodeJSON(OutcomeBody.self).outcome ?? .paid
    }

    private func billing(_ run: () throws(StripeAPIError) -> SimulatorBillingResult) -> HTTPResponse {
        do {
            return http(.json(try run()))
        } catch {
            return http(.stripeError(error))
        }
    }

    /// Registers the billing API and control routes on `r`.
    func addBillingRoutes(_ r: Router) {
        r.get("/v1/subscriptions/:id") { [self] req in
            http(retrieveSubscription(authorization: req.headers["Authorization"], id: Self.pathID(req)))
        }
        r.post("/v1/subscriptions/:id") { [self] req in
            http(
                updateSubscription(
                    authorization: req.headers["Authorization"], idempotencyKey: req.headers["Idempotency-Key"],
                    id: Self.pathID(req), body: req.body))
        }
        r.delete("/v1/subscriptions/:id") { [self] req in
            http(
                deleteSubscription(
                    authorization: req.headers["Authorization"], idempotencyKey: req.headers["Idempotency-Key"],
                    id: Self.pathID(req)))
        }
        r.get("/v1/invoices/:id") { [self] req in
            http(retrieveInvoice(authorization: req.headers["Authorization"], id: Self.pathID(req)))
        }
        r.get("/v1/customers/:id") { [self] req in
            http(retrieveCustomer(authorization: req.headers["Authorization"], id: Self.pathID(req)))
        }
        r.get("/_sim/subscriptions") { [self] _ in .json(ListBody(data: subscriptions())) }
        r.get("/_sim/invoices") { [self] _ in .json(ListBody(data: invoices())) }
        r.post("/_sim/subscriptions/:id/renew") { [self] req in
            let o = try Self.outcome(req)
            let id = Self.pathID(req)
            return billing { () throws(StripeAPIError) in try renew(subscriptionID: id, outcome: o) }
        }
        r.post("/_sim/subscriptions/:id/renewal-outcome") { [self] req in
            let o = try Self.outcome(req)
            do throws(StripeAPIError) {
                try setRenewalOutcome(subscriptionID: Self.pathID(req), o)
                return .json(["ok": true])
            } catch {
                return http(.stripeError(error))
            }
        }
        r.post("/_sim/invoices/:id/pay") { [self] req in
            let id = Self.pathID(req)
            return billing { () throws(StripeAPIError) in try attemptInvoice(invoiceID: id, outcome: .paid) }
        }
        r.post("/_sim/invoices/:id/fail") { [self] req in
            let id = Self.pathID(req)
            return billing { () throws(StripeAPIError) in try attemptInvoice(invoiceID: id, outcome: .failed) }
        }
    }
}
