import Dispatch
import Foundation
import Stripe

/// The Stripe REST surface: `/v1/checkout/sessions…`, with auth, idempotency, faults and request ids.
extension StripeSimulator {
    /// What one API route does once auth, faults and idempotency are handled; runs under the state lock.
    typealias APIOperation = (
        inout SimulatorState, _ requestID: String, _ idempotencyKey: String?,
        _ params: [String: FormValue]
    ) throws(StripeAPIError) -> SimResponse

    /// Runs an API call the way Stripe's edge would: a fresh `Request-Id`; injected faults first; then
    /// `Authorization: Bearer sk_…|rk_…` (else 401); form decoding; `Idempotency-Key` replay (same
    /// parameters) or `idempotency_error` (different ones); then `operation` under the lock.
    func api(
        method: String, path: String, authorization: String?, idempotencyKey rawKey: String?, body: [UInt8],
        operation: APIOperation
    ) -> SimResponse {
        let requestID = StripeID.make("req_", length: 14)
        let idempotencyKey = (rawKey?.isEmpty ?? true) ? nil : rawKey
        var response = apiInner(
            method: method, path: path, authorization: authorization, idempotencyKey: idempotencyKey, body: body,
            requestID: requestID, operation: operation)
        if response.header("Request-Id") == nil { response.headers.append(("Request-Id", requestID)) }
        if let key = idempotencyKey, method == "POST" { response.headers.append(("Idempotency-Key", key)) }
        response.headers.append(("Stripe-Version", configuration.apiVersion))
        return response
    }

    private func apiInner(
        method: String, path: String, authorization: String?, idempotencyKey: String?, body: [UInt8],
        requestID: String, operation: APIOperation
    ) -> SimResponse {
        var faultNote: String? = nil
        func log(_ status: Int, fault: String? = nil, replayed: Bool = false) {
            let fault = fault ?? faultNote
            configuration.log?(
                "\(method) \(path) → \(status) \(requestID)" + (replayed ? " (idempotent replay)" : "")
                    + (fault.map { " [fault: \($0)]" } ?? ""))
            state.withLock {
                $0.requestLog.append(
                    .init(
                        requestId: requestID, method: method, path: path, idempotencyKey: idempotencyKey,
                        status: status, fault: fault, replayed: replayed))
                if $0.requestLog.count > 20_000 { $0.requestLog.removeFirst(10_000) }  // keep the recent ones
            }
        }

        // 1. Fault injection: consumed by this call whatever it is.
        let fault = state.withLock { s -> SimulatorFault? in s.faults.isEmpty ? nil : s.faults.removeFirst() }
        if let fault {
            if let status = fault.status {
                var r = SimResponse.stripeError(Self.faultError(status: status))
                if let retry = fault.shouldRetry { r.headers.append(("Stripe-Should-Retry", retry ? "true" : "false")) }
                if let after = fault.retryAfter { r.headers.append(("Retry-After", String(after))) }
                log(status, fault: "status \(status)")
                return r
            }
            if let seconds = fault.hangSeconds {
                hang(seconds: seconds)
                faultNote = "hang \(seconds)s"
            }
        }

        // 2. Authentication.
        guard let authorization, authorization.hasPrefix("Bearer "),
            case let key = authorization.dropFirst("Bearer ".count).trimmingCharacters(in: .whitespaces),
            key.hasPrefix("sk_") || key.hasPrefix("rk_"), key.count > 8
        else {
            log(401)
            return .stripeError(
                StripeAPIError(
                    status: 401, type: "invalid_request_error",
                    message:
                        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
                ))
        }

        // 3. Parameters.
        let params: [String: FormValue]
        do {
            params = try FormDecoder.decode(body)
        } catch {
            log(400)
            return .stripeError(
                StripeAPIError(
                    status: 400, type: "invalid_request_error", message: "Invalid request body: \(error.reason)"))
        }
        if let idempotencyKey, idempotencyKey.utf8.count > 255 {
            log(400)
            return .stripeError(
                StripeAPIError(
                    status: 400, type: "invalid_request_error",
                    message: "Keys for idempotent requests can only be up to 255 characters long."))
        }

        // 4. Idempotency + the operation, atomically.
        let fingerprint = method + " " + path + "\n" + FormEncoder.encode(params)
        let outcome = state.withLock { s -> (SimResponse, Bool) in
            sweepExpired(&s)
            if method == "POST", let idempotencyKey, let stored = s.idempotency[idempotencyKey] {
                guard stored.fingerprint == fingerprint else {
                    return (
                        .stripeError(
                            StripeAPIError(
                                status: 400, type: "idempotency_error",
                                message:
                                    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '\(idempotencyKey)' if you meant to execute a different request."
                            )), false
                    )
                }
                var r = SimResponse(
                    status: stored.status, headers: [("Content-Type", "application/json")], body: stored.body)
                r.headers.append(("Request-Id", stored.requestID))
                r.headers.append(("Idempotent-Replayed", "true"))
                return (r, true)
            }
            let r: SimResponse
            do throws(StripeAPIError) {
                r = try operation(&s, requestID, idempotencyKey, params)
            } catch {
                return (.stripeError(error), false)
            }
            if method == "POST", let idempotencyKey, (200..<300).contains(r.status) {
                s.idempotency[idempotencyKey] = .init(
                    createdAt: self.now(s), fingerprint: fingerprint, status: r.status, body: r.body,
                    requestID: requestID)
                if s.idempotency.count >= s.idempotencyPruneAt {
                    // Stripe keeps keys for 24 h; prune older ones when the table grows (amortised O(1)).
                    let cutoff = self.now(s) - 86_400
                    s.idempotency = s.idempotency.filter { $0.value.createdAt > cutoff }
                    s.idempotencyPruneAt = max(100_000, s.idempotency.count * 2)
                }
            }
            return (r, false)
        }
        log(outcome.0.status, replayed: outcome.1)
        if !outcome.1 { wake.signal() }  // events may have been queued
        return outcome.0
    }

    static func faultError(status: Int) -> StripeAPIError {
        switch status {
        case 429:
            return StripeAPIError(
                status: 429, type: "invalid_request_error", code: "rate_limit",
                message: "Too many requests hit the API too quickly. (stripe-sim fault injection)")
        case 500...:
            return StripeAPIError(
                status: status, type: "api_error",
                message: "An unknown error occurred. (stripe-sim fault injection)")
        case 409:
            return StripeAPIError(
                status: 409, type: "invalid_request_error", code: "lock_timeout",
                message:
                    "This object cannot be accessed right now because another API request or Stripe process is currently accessing it. (stripe-sim fault injection)"
            )
        default:
            return StripeAPIError(
                status: status, type: "invalid_request_error", message: "stripe-sim fault injection")
        }
    }

    /// Sleeps up to `seconds` (capped by `maxHang`), cut short by reset or shutdown.
    func hang(seconds: Double) {
        let capped = min(max(0, seconds), configuration.maxHang.seconds)
        let waiter = DispatchSemaphore(value: 0)
        hangInterrupt.withLock { $0.append(waiter) }
        _ = waiter.wait(timeout: .now() + capped)
        hangInterrupt.withLock { list in list.removeAll { $0 === waiter } }
    }

    // MARK: - Operations

    /// `POST /v1/checkout/sessions`.
    func createSession(authorization: String?, idempotencyKey: String?, body: [UInt8]) -> SimResponse {
        api(
            method: "POST", path: "/v1/checkout/sessions", authorization: authorization,
            idempotencyKey: idempotencyKey, body: body
        ) { (s: inout SimulatorState, _: String, _: String?, params: [String: FormValue]) throws(StripeAPIError) in
            let now = self.now(s)
            let request = try SessionCreateRequest.validate(params, now: now)
            let id = StripeID.make("cs_test_a1", length: 56)
            let session = CheckoutSession(
                id: id, url: "\(publicBase)/pay/\(id)", status: .open, paymentStatus: .unpaid,
                amountTotal: request.amountTotal, amountSubtotal: request.amountTotal, currency: request.currency,
                paymentIntent: nil, clientReferenceID: request.clientReferenceID, metadata: request.metadata,
                expiresAt: request.expiresAt, created: now, customerEmail: request.customerEmail, mode: request.mode,
                successURL: request.successURL, cancelURL: request.cancelURL)
            let stored = request.lineItems.map { item in
                SimulatorState.StoredLineItem(
                    item: item, id: StripeID.make("li_test_", length: 24),
                    priceID: StripeID.make("price_test_", length: 24),
                    productID: StripeID.make("prod_test_", length: 14))
            }
            let record = SimulatorState.SessionRecord(
                session: session, lineItems: request.lineItems, paymentIntentMetadata: request.paymentIntentMetadata,
                requestedEmail: request.customerEmail, storedLineItems: stored, echoed: request.echoed,
                subscriptionMetadata: request.subscriptionMetadata)
            s.sessions[id] = record
            s.sessionOrder.append(id)
            s.earliestOpenExpiry = min(s.earliestOpenExpiry ?? request.expiresAt, request.expiresAt)
            return .json(try expanded(record, s, params))
        }
    }

    /// `GET /v1/checkout/sessions/:id`.
    func retrieveSession(authorization: String?, id: String, query: [UInt8] = []) -> SimResponse {
        api(
            method: "GET", path: "/v1/checkout/sessions/\(id)", authorization: authorization, idempotencyKey: nil,
            body: query
        ) { (s: inout SimulatorState, _: String, _: String?, params: [String: FormValue]) throws(StripeAPIError) in
            try SessionCreateRequest.unknownKeys(params, allowed: ["expand"], prefix: nil)
            guard let record = s.sessions[id] else { throw Self.noSuchSession(id) }
            return .json(try expanded(record, s, params))
        }
    }

    /// The session with `expand[]` applied: `line_items` (the first page of 10, as Stripe includes it) and
    /// `payment_intent` (the object, once there is one) (https://docs.stripe.com/expand).
    func expanded(_ record: SimulatorState.SessionRecord, _ s: SimulatorState, _ params: [String: FormValue])
        throws(StripeAPIError) -> Wire
    {
        var out = wire(session: record)
        guard let expand = params["expand"] else { return out }
        guard let fields = expand.arrayValue else { throw SessionCreateRequest.invalid("expand", "Invalid array") }
        for field in fields {
            switch field.stringValue {
            case "line_items":
                let items = record.storedLineItems
                out = out.setting(
                    "line_items",
                    Self.wireList(
                        items.prefix(10).map { wire(lineItem: $0, created: record.session.created) },
                        hasMore: items.count > 10, url: "/v1/checkout/sessions/\(record.session.id)/line_items"))
            case "payment_intent":
                if let id = record.session.paymentIntent, let pi = s.paymentIntents[id] {
                    out = out.setting("payment_intent", wire(paymentIntent: pi))
                }
            default:
                throw SessionCreateRequest.invalid(
                    "expand", "This property cannot be expanded (\(field.stringValue ?? "?")).")
            }
        }
        return out
    }

    /// `GET /v1/checkout/sessions/:id/line_items`: a list object of `item`s, paged with `limit`,
    /// `starting_after` and `ending_before` (https://docs.stripe.com/api/checkout/sessions/line_items).
    func listLineItems(authorization: String?, id: String, query: [UInt8]) -> SimResponse {
        api(
            method: "GET", path: "/v1/checkout/sessions/\(id)/line_items", authorization: authorization,
            idempotencyKey: nil, body: query
        ) { (s: inout SimulatorState, _: String, _: String?, params: [String: FormValue]) throws(StripeAPIError) in
            guard let record = s.sessions[id] else { throw Self.noSuchSession(id) }
            let items = record.storedLineItems
            let page = try Self.page(items.map(\.id), params: params, param: "line_items")
            let data = items[page.range].map { wire(lineItem: $0, created: record.session.created) }
            return .json(
                Self.wireList(data, hasMore: page.hasMore, url: "/v1/checkout/sessions/\(id)/line_items"))
        }
    }

    /// `GET /v1/payment_intents/:id`.
    func retrievePaymentIntent(authorization: String?, id: String) -> SimResponse {
        api(
            method: "GET", path: "/v1/payment_intents/\(id)", authorization: authorization, idempotencyKey: nil,
            body: []
        ) { (s: inout SimulatorState, _: String, _: String?, _: [String: FormValue]) throws(StripeAPIError) in
            guard let pi = s.paymentIntents[id] else { throw Self.noSuch("payment_intent", id, param: "intent") }
            return .json(wire(paymentIntent: pi))
        }
    }

    /// `GET /v1/charges/:id`.
    func retrieveCharge(authorization: String?, id: String) -> SimResponse {
        api(method: "GET", path: "/v1/charges/\(id)", authorization: authorization, idempotencyKey: nil, body: []) {
            (s: inout SimulatorState, _: String, _: String?, _: [String: FormValue]) throws(StripeAPIError) in
            guard let c = s.charges[id] else { throw Self.noSuch("charge", id, param: "id") }
            return .json(wire(charge: c))
        }
    }

    /// `GET /v1/refunds/:id`.
    func retrieveRefund(authorization: String?, id: String) -> SimResponse {
        api(method: "GET", path: "/v1/refunds/\(id)", authorization: authorization, idempotencyKey: nil, body: []) {
            (s: inout SimulatorState, _: String, _: String?, _: [String: FormValue]) throws(StripeAPIError) in
            guard let r = s.refunds[id] else { throw Self.noSuch("refund", id, param: "id") }
            return .json(wire(refund: r))
        }
    }

    /// `GET /v1/refunds?charge=…|payment_intent=…`, newest first, paged like every Stripe list.
    func listRefunds(authorization: String?, query: [UInt8]) -> SimResponse {
        api(method: "GET", path: "/v1/refunds", authorization: authorization, idempotencyKey: nil, body: query) {
            (s: inout SimulatorState, _: String, _: String?, params: [String: FormValue]) throws(StripeAPIError) in
            try SessionCreateRequest.unknownKeys(
                params,
                allowed: ["charge", "payment_intent", "limit", "starting_after", "ending_before", "expand", "created"],
                prefix: nil)
            let charge = try SessionCreateRequest.string(params["charge"], param: "charge")
            let pi = try SessionCreateRequest.string(params["payment_intent"], param: "payment_intent")
            let refunds = s.refundOrder.reversed().compactMap { s.refunds[$0] }.filter {
                (charge == nil || $0.chargeID == charge) && (pi == nil || $0.paymentIntentID == pi)
            }
            let page = try Self.page(refunds.map(\.id), params: params, param: "refunds")
            return .json(
                Self.wireList(refunds[page.range].map { wire(refund: $0) }, hasMore: page.hasMore, url: "/v1/refunds"))
        }
    }

    /// `GET /v1/events/:id`: the same JSON the webhook deliveries carry.
    func retrieveEvent(authorization: String?, id: String) -> SimResponse {
        api(method: "GET", path: "/v1/events/\(id)", authorization: authorization, idempotencyKey: nil, body: []) {
            (s: inout SimulatorState, _: String, _: String?, _: [String: FormValue]) throws(StripeAPIError) in
            guard let e = s.events[id] else { throw Self.noSuch("event", id, param: "id") }
            return SimResponse(status: 200, headers: [("Content-Type", "application/json")], body: e.body)
        }
    }

    /// Stripe's cursor pagination over ids in list order: `limit` 1–100 (default 10), `starting_after` /
    /// `ending_before` an id of the list (https://docs.stripe.com/api/pagination).
    static func page(_ ids: [String], params: [String: FormValue], param: String) throws(StripeAPIError) -> (
        range: Range<Int>, hasMore: Bool
    ) {
        var limit = 10
        if let l = try SessionCreateRequest.integer(params["limit"], param: "limit") {
            guard (1...100).contains(l) else {
                throw StripeAPIError(
                    status: 400, type: "invalid_request_error", code: "parameter_invalid_integer", param: "limit",
                    message: "This value must be greater than or equal to 1 and less than or equal to 100.")
            }
            limit = Int(l)
        }
        func position(_ key: String) throws(StripeAPIError) -> Int? {
            guard let cursor = try SessionCreateRequest.string(params[key], param: key) else { return nil }
            guard let i = ids.firstIndex(of: cursor) else {
                throw StripeAPIError(
                    status: 400, type: "invalid_request_error", code: "resource_missing", param: key,
                    message: "No such \(param) item: '\(cursor)'")
            }
            return i
        }
        if let after = try position("starting_after") {
            let lower = after + 1
            let upper = min(ids.count, lower + limit)
            return (lower..<upper, upper < ids.count)
        }
        if let before = try position("ending_before") {
            let lower = max(0, before - limit)
            return (lower..<before, lower > 0)
        }
        let upper = min(ids.count, limit)
        return (0..<upper, upper < ids.count)
    }

    static func noSuch(_ object: String, _ id: String, param: String) -> StripeAPIError {
        StripeAPIError(
            status: 404, type: "invalid_request_error", code: "resource_missing", param: param,
            message: "No such \(object): '\(id)'")
    }

    /// `POST /v1/checkout/sessions/:id/expire`: 400 unless the session is `open`.
    func expireSessionAPI(authorization: String?, idempotencyKey: String?, id: String, body: [UInt8]) -> SimResponse {
        api(
            method: "POST", path: "/v1/checkout/sessions/\(id)/expire", authorization: authorization,
            idempotencyKey: idempotencyKey, body: body
        ) {
            (s: inout SimulatorState, requestID: String, key: String?, _: [String: FormValue]) throws(StripeAPIError) in
            guard s.sessions[id] != nil else { throw Self.noSuchSession(id) }
            _ = try expire(&s, id: id, request: .init(id: requestID, idempotencyKey: key))
            guard let record = s.sessions[id] else { throw Self.noSuchSession(id) }
            return .json(wire(session: record))
        }
    }

    static func noSuchSession(_ id: String) -> StripeAPIError {
        StripeAPIError(
            status: 404, type: "invalid_request_error", code: "resource_missing", param: "session",
            message: "No such checkout.session: '\(id)'")
    }

    // MARK: - Shared state transitions (used by the API, the hosted page and the control API)

    /// Expires an open session and emits `checkout.session.expired`.
    func expire(_ s: inout SimulatorState, id: String, request: StripeEvent.Request?) throws(StripeAPIError)
        -> CheckoutSession
    {
        guard var record = s.sessions[id] else { throw Self.noSuchSession(id) }
        guard record.session.status == .open else {
            // Stripe answers this refusal without a `code`.
            throw StripeAPIError(
                status: 400, type: "invalid_request_error",
                message:
                    "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of `\(record.session.status.rawValue)`."
            )
        }
        record.session.status = .expired
        record.session.url = nil
        s.sessions[id] = record
        emit(&s, type: "checkout.session.expired", object: .checkoutSession(record.session), request: request)
        return record.session
    }

    /// Stripe expires sessions whose `expires_at` passed; done lazily on every call.
    /// Scans only once the earliest open expiry has passed, so it costs nothing on the hot path.
    func sweepExpired(_ s: inout SimulatorState) {
        let now = self.now(s)
        guard let earliest = s.earliestOpenExpiry, earliest <= now else { return }
        var next: Int64? = nil
        for id in s.sessionOrder {
            guard let r = s.sessions[id], r.session.status == .open, let e = r.session.expiresAt else { continue }
            if e <= now {
                _ = try? expire(&s, id: id, request: nil)
            } else {
                next = min(next ?? e, e)
            }
        }
        s.earliestOpenExpiry = next
    }

    /// Records an event (JSON fixed now) and queues its delivery.
    @discardableResult
    func emit(_ s: inout SimulatorState, type: String, object: EventObject, request: StripeEvent.Request?) -> String {
        let id = StripeID.make("evt_test_", length: 24)
        let event = StripeEvent(
            id: id, type: type, created: now(s), livemode: false, apiVersion: configuration.apiVersion,
            pendingWebhooks: s.webhookURL == nil ? 0 : 1,
            request: request ?? .init(id: nil, idempotencyKey: nil), object: object)
        let body =
            (try? SimResponse.encoder.encode(wire(event: event, object: wire(object, s)))).map { [UInt8]($0) } ?? []
        s.events[id] = .init(event: event, body: body, sequence: s.eventOrder.count)
        configuration.log?("event \(id) \(type)")
        s.eventOrder.append(id)
        enqueueDelivery(&s, eventID: id)
        return id
    }
}
