import Foundation
import Stripe
import Logging
import Postgres

/// The checkout use cases behind the public and admin API: create a checkout session, look an
/// order up (refreshing it from Stripe when still pending), retry a payment, and the admin commands.
///
/// Plain blocking methods for synchronous HTTP handlers on worker threads. Every method throws only
/// ``CheckoutError`` (an unreachable database is ``CheckoutError/database(detail:)``). Postgres is the
/// only coordinator, so any number of instances may run against one database.
public final class CheckoutService: Sendable {
    let pool: ConnectionPool
    let gateway: any PaymentGateway
    let configuration: CheckoutConfiguration
    let logger: Logger
    let now: @Sendable () -> Date
    let orders = OrderStore()
    let products = ProductStore()
    let events = StripeEventStore()
    let transitions: OrderTransitions

    /// - Parameters:
    ///   - gateway: Stripe (a `StripeClient`; see `StripeClient+PaymentGateway.swift`).
    ///   - now: the clock for `expires_at` (tests may pin it).
    public init(
        pool: ConnectionPool, gateway: any PaymentGateway, configuration: CheckoutConfiguration, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.pool = pool
        self.gateway = gateway
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.transitions = OrderTransitions(outbound: configuration.outbound)
    }

    // MARK: - Create

    /// Creates an order for `request` (prices and titles from the catalog, stock reserved, one
    /// transaction) and a Stripe Checkout Session for it.
    ///
    /// With a client `idempotencyKey` (≤ 255 chars): the same key and the same body within the
    /// configured window answers the first answer again (same order, same session; if the first
    /// attempt failed at Stripe, a session is created now for that same order); the same key with
    /// another body throws ``CheckoutError/idempotencyKeyReused``. Concurrent requests with one key
    /// create one order (unique index; the loser re-reads).
    ///
    /// Throws validation errors, `productUnavailable`, `currencyMismatch`, `outOfStock` (nothing is
    /// stored), `stripeRejected` / `stripeUnavailable` (the order is kept as `pending_payment`
    /// without a session; the error carries its id for retry-session), `database`.
    public func createCheckoutSession(_ request: CreateCheckoutRequest, idempotencyKey: String? = nil)
        throws(CheckoutError) -> CheckoutSessionResult
    {
        if let key = idempotencyKey {
            guard (1...255).contains(key.utf8.count),
                key.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7F })
            else {
                throw .validation(field: "Idempotency-Key", message: "must be 1-255 printable ASCII characters")
            }
        }
        let requestText = request.canonicalText
        for _ in 0..<3 {
            if let key = idempotencyKey {
                let existing = try run {
                    try pool.withConnection { db in
                        try orders.order(
                            db, idempotencyKey: key, requestText: requestText,
                            windowSeconds: configuration.idempotencyWindow)
                    }
                }
                if let existing {
                    guard existing.sameRequest else { throw .idempotencyKeyReused }
                    return try resume(existing.order)
                }
            }
            let created: UUID? = try run {
                do {
                    return try pool.transaction { db in
                        try createOrder(db, request, idempotencyKey: idempotencyKey, requestText: requestText)
                    }
                } catch let error as PostgresError where error.kind == .uniqueViolation && idempotencyKey != nil {
                    return nil  // a concurrent request with the same key won: read its order
                }
            }
            if let created { return try startSession(orderID: created, abandonOnRejection: true) }
        }
        throw .database(detail: "idempotency key race did not settle")
    }

    /// Validates the catalog side and writes order + items + stock in the caller's transaction.
    private func createOrder(
        _ db: Connection, _ request: CreateCheckoutRequest, idempotencyKey: String?, requestText: String
    ) throws -> UUID {
        let catalog = Dictionary(
            try products.products(db, ids: request.items.map(\.productID)).map { ($0.id, $0) },
            uniquingKeysWith: { first, _ in first })
        var lines: [OrderItemRecord] = []
        var total: Int64 = 0
        for (index, item) in request.items.enumerated() {
            guard let product = catalog[item.productID], product.active else {
                throw CheckoutError.productUnavailable(productID: item.productID)
            }
            let (amount, overflow) = product.unitAmount.multipliedReportingOverflow(by: Int64(item.quantity))
            let (sum, overflow2) = total.addingReportingOverflow(amount)
            guard !overflow, !overflow2 else {
                throw CheckoutError.validation(field: "items[\(index)].quantity", message: "makes the total too large")
            }
            total = sum
            lines.append(
                OrderItemRecord(
                    lineNo: index, productID: product.id, title: product.title, unitAmount: product.unitAmount,
                    quantity: item.quantity, amountTotal: amount, recurring: product.recurring))
        }
        try Self.checkSubscriptionLines(lines)
        let currencies = Set(request.items.compactMap { catalog[$0.productID]?.currency })
        guard currencies.count == 1, let currency = currencies.first else { throw CheckoutError.currencyMismatch }
        try Self.checkStripeAmounts(currency: currency, lines: lines, total: total)

        let id = UUID()
        let orderNumber = try orders.insertOrder(
            db, id: id, orderNumberPrefix: configuration.orderNumberPrefix, currency: currency, amountTotal: total,
            customerEmail: request.customerEmail, customerID: request.customerID, metadata: request.metadata,
            idempotencyKey: idempotencyKey, requestText: idempotencyKey == nil ? nil : requestText)
        try orders.insertItems(db, orderID: id, items: lines)
        if let missing = try products.reserve(db, orderID: id, items: lines) {
            throw CheckoutError.outOfStock(productID: missing)
        }
        try orders.insertHistory(
            db, orderID: id, state: OrderState(amountTotal: total), reason: "order \(orderNumber) created",
            actor: "customer", stripeEventID: nil)
        return id
    }

    /// Stripe's amount rules for a cart (StripeCurrency, from https://docs.stripe.com/currencies): each
    /// line and the total at most the currency's maximum, the total at least its minimum charge and a
    /// multiple of its step. Checked before anything is written, so a cart Stripe would refuse is the
    /// customer's 400, never a 502 "configuration fault" that cancels the order.
    static func checkStripeAmounts(currency: String, lines: [OrderItemRecord], total: Int64) throws(CheckoutError) {
        guard let rules = StripeCurrency(currency) else {
            throw .validation(field: "items", message: "the products' currency is not one Stripe charges in")
        }
        let maximum = "\(rules.formatted(rules.maximumAmount)) \(currency)"
        for (index, line) in lines.enumerated() where line.amountTotal > rules.maximumAmount {
            throw .validation(
                field: "items[\(index)].quantity", message: "makes the line exceed Stripe's maximum of \(maximum)")
        }
        switch rules.refusal(forTotal: total) {
        case nil: return
        case .tooSmall(let minimum):
            throw .validation(
                field: "items",
                message: "the total is below Stripe's minimum charge of \(rules.formatted(minimum)) \(currency)")
        case .tooLarge:
            throw .validation(field: "items", message: "the total exceeds Stripe's maximum of \(maximum)")
        case .notAMultiple(let step):
            throw .validation(field: "items", message: "the total must be a multiple of \(step) in \(currency)")
        }
    }

    /// The first answer again for an idempotent replay.
    private func resume(_ order: OrderRecord) throws(CheckoutError) -> CheckoutSessionResult {
        if let sessionID = order.state.currentSessionID {
            let url = try run { try pool.withConnection { db in try orders.sessionURL(db, sessionID: sessionID) } }
            return CheckoutSessionResult(
                id: sessionID, url: url ?? "", orderID: order.id, orderNumber: order.orderNumber)
        }
        guard order.state.status == .pendingPayment else {
            throw .orderNotRetryable(status: order.state.status)
        }
        return try startSession(orderID: order.id)
    }

    /// Creates the Stripe session for a pending order that has none, and stores it.
    ///
    /// The attempt counter is incremented first (in its own short transaction) and makes the outbound
    /// Idempotency-Key `order:<id>:attempt:<n>`: a retried HTTP call of the same attempt gets the
    /// same session, while a new attempt never replays an old failure (Stripe replays 500s too).
    /// No database connection is held while Stripe is called.
    ///
    /// `abandonOnRejection` (the customer's first create only): a request Stripe rejects as invalid
    /// (400 `invalid_request_error`) can never succeed, so the order is cancelled and its stock
    /// released. Any other rejection, and every rejection of a retry (a 401/403 means our key is
    /// wrong, which an operator fixes), keeps the order retryable; the reconciler expires a
    /// reservation nobody retries within the session TTL.
    func startSession(orderID: UUID, abandonOnRejection: Bool = false) throws(CheckoutError) -> CheckoutSessionResult {
        let prepared = try run {
            try pool.transaction { db -> (OrderRecord, [OrderItemRecord], Int)? in
                guard let attempt = try orders.beginSessionAttempt(db, orderID: orderID),
                    let order = try orders.order(db, id: orderID)
                else { return nil }
                return (order, try orders.items(db, orderID: orderID), attempt)
            }
        }
        guard let (order, items, attempt) = prepared else {
            // Another request created the session meanwhile, or the order moved on.
            guard let order = try run({ try pool.withConnection { db in try orders.order(db, id: orderID) } }) else {
                throw .orderNotFound
            }
            guard order.state.currentSessionID != nil else { throw .orderNotRetryable(status: order.state.status) }
            return try resume(order)
        }
        let id = order.id.lowercased
        let sessionRequest = PaymentSessionRequest(
            lines: items.map {
                .init(
                    name: $0.title, unitAmount: $0.unitAmount, currency: order.currency, quantity: $0.quantity,
                    recurring: $0.recurring)
            },
            successURL: configuration.successURL, cancelURL: configuration.cancelURL(orderID: order.id),
            clientReferenceID: order.orderNumber, metadata: ["order_id": id, "order_number": order.orderNumber],
            paymentIntentMetadata: ["order_id": id], customerEmail: order.customerEmail,
            expiresAt: configuration.sessionExpiresAt(now: Int64(now().timeIntervalSince1970)),
            subscriptionMetadata: Self.subscriptionMetadata(orderID: order.id, items: items))
        let session: PaymentSession
        do {
            session = try gateway.createSession(sessionRequest, idempotencyKey: "order:\(id):attempt:\(attempt)")
        } catch {
            let failure = stripeFailure(error, orderID: order.id, action: "create a checkout session")
            if abandonOnRejection, error.isInvalidRequest {
                // The same request can never succeed: give the stock back now instead of holding it
                // until the reconciler notices (an anonymous client could otherwise pin stock at will).
                // Only a deterministic rejection of the request itself: a 401/403 (our key), a 409 (key
                // in use after a timed-out attempt Stripe did complete) or a transient 4xx keeps the
                // order, so a retry can still pay for it.
                try abandonRejectedAttempt(orderID: orderID)
            }
            throw failure
        }
        let (decision, before) = try run {
            try pool.transaction { db -> (OrderDecision, OrderState) in
                guard let locked = try orders.order(db, id: orderID, forUpdate: true) else {
                    throw CheckoutError.orderNotFound
                }
                try orders.insertSession(db, orderID: orderID, attempt: attempt, session: session)
                let decision = try transitions.apply(
                    db, order: locked, event: .sessionCreated(sessionID: session.id), actor: "system:checkout")
                return (decision, locked.state)
            }
        }
        if decision.newState == nil, before.currentSessionID != session.id {
            // A concurrent attempt stored its session first, or the order moved on (e.g. cancelled)
            // while Stripe was called: retire the session nobody will use.
            _ = try? gateway.expireSession(
                session.id, idempotencyKey: Self.expireKey(orderID: id, sessionID: session.id))
            guard before.currentSessionID != nil else { throw .orderNotRetryable(status: before.status) }
            return try resume(try loadOrder(orderID))
        }
        return CheckoutSessionResult(
            id: session.id, url: session.url ?? "", orderID: order.id, orderNumber: order.orderNumber)
    }

    /// Stripe refused to create a session for a pending order that has none: the order ends
    /// `cancelled` with the reason and its stock released, in one transaction. Left alone when a
    /// concurrent attempt stored a session meanwhile or the order moved on.
    private func abandonRejectedAttempt(orderID: UUID) throws(CheckoutError) {
        try run {
            try pool.transaction { db in
                guard let locked = try orders.order(db, id: orderID, forUpdate: true),
                    locked.state.status == .pendingPayment, locked.state.currentSessionID == nil
                else { return }
                _ = try transitions.apply(
                    db, order: locked, event: .cancel(reason: "Stripe rejected the checkout session"),
                    actor: "system:checkout")
            }
        }
    }

    // MARK: - Public lookups

    /// The public order of a Checkout Session (any of the order's sessions).
    ///
    /// While the order is `pending_payment` and its session was last checked at Stripe longer than
    /// the configured interval ago (10 s), it first asks Stripe for the session and applies what it
    /// learns (Stripe's "fulfil from the landing page too"). The check is claimed atomically, so
    /// concurrent lookups make one Stripe call; a Stripe failure only skips the refresh.
    ///
    /// `stripe`, when given, bounds the refresh: with no room in it the stored state is answered without
    /// asking Stripe (a hanging Stripe must not hold a handler thread for a read).
    public func order(bySessionID sessionID: String, stripe: Bulkhead? = nil) throws(CheckoutError) -> PublicOrder {
        guard !sessionID.isEmpty, sessionID.utf8.count <= 255, !CreateCheckoutRequest.hasControlCharacters(sessionID)
        else {
            throw .orderNotFound
        }
        // The common case (a settled order) is two queries on one connection.
        let (order, items, claimed) = try run {
            try pool.withConnection { db -> (OrderRecord, [OrderItemRecord], Bool) in
                guard let order = try orders.order(db, sessionID: sessionID) else { throw CheckoutError.orderNotFound }
                let claimed =
                    try order.state.status == .pendingPayment
                    && orders.claimSessionCheck(
                        db, orderID: order.id, intervalSeconds: configuration.sessionRefreshInterval)
                return (order, try orders.items(db, orderID: order.id), claimed)
            }
        }
        guard claimed else { return PublicOrder(order, items: items) }
        if let stripe {
            guard stripe.tryEnter() else { return PublicOrder(order, items: items) }
        }
        defer { stripe?.leave() }
        let session: PaymentSession
        do {
            session = try gateway.retrieveSession(sessionID)
        } catch {
            logger.warning("session refresh failed", metadata: ["order_id": "\(order.id)", "error": "\(error)"])
            return PublicOrder(order, items: items)
        }
        guard try apply(session: session, orderID: order.id, actor: "system:session-refresh")?.newState != nil else {
            return PublicOrder(order, items: items)
        }
        return try publicOrder(order.id)
    }

    /// The public order by id (for the storefront's cancel page).
    public func publicOrder(_ orderID: UUID) throws(CheckoutError) -> PublicOrder {
        try run {
            try pool.withConnection { db in
                guard let order = try orders.order(db, id: orderID) else { throw CheckoutError.orderNotFound }
                return PublicOrder(order, items: try orders.items(db, orderID: orderID))
            }
        }
    }

    // MARK: - Retry

    /// Starts a new payment attempt for a `pending_payment`, `failed` or `expired` order.
    ///
    /// First expires the order's current session at Stripe. If Stripe says it is no longer open,
    /// the session is retrieved: when it was paid, that payment is applied and
    /// ``CheckoutError/orderAlreadyPaid(orderID:)`` is thrown; when it completed with a delayed
    /// payment still processing (the order still pending), ``CheckoutError/orderNotRetryable(status:)``
    /// (after that delayed payment failed, the retry goes on). Then, in one
    /// transaction, the order goes back to pending with its stock re-reserved (``CheckoutError/outOfStock(productID:)``
    /// when it cannot be), and a new session is created for the same saved items and prices.
    /// The old session's late events change nothing (it is no longer the current session).
    public func retrySession(orderID: UUID, actor: String = "customer") throws(CheckoutError) -> CheckoutSessionResult {
        let order = try loadOrder(orderID)
        guard order.state.status.isRetryable else { throw .orderNotRetryable(status: order.state.status) }
        let retired = order.state.currentSessionID
        if let retired {
            try retireSession(retired, order: order)
        }
        let decision = try run {
            try pool.transaction { db -> OrderDecision? in
                guard let locked = try orders.order(db, id: orderID, forUpdate: true) else {
                    throw CheckoutError.orderNotFound
                }
                guard locked.state.status.isRetryable else {
                    throw locked.state.status.hasReceivedPayment
                        ? CheckoutError.orderAlreadyPaid(orderID: orderID)
                        : CheckoutError.orderNotRetryable(status: locked.state.status)
                }
                if let current = locked.state.currentSessionID, current != retired {
                    // A concurrent retry-session already made a new attempt after we read the order:
                    // answer its session instead of superseding it (it would stay open and payable).
                    return nil
                }
                return try transitions.apply(db, order: locked, event: .beginRetry, actor: actor)
            }
        }
        guard let decision else { return try resume(try loadOrder(orderID)) }
        logger.info(
            "payment attempt restarted", metadata: ["order_id": "\(orderID)", "reason": "\(decision.reason)"])
        return try startSession(orderID: orderID)
    }

    /// The outbound Idempotency-Key of one expire call: unique per call (its HTTP retries share it).
    /// Expiring is idempotent at Stripe anyway ("not open" is answered by retrieving the session),
    /// and a key fixed per session would replay a Stripe 500 to every later call for 24 hours.
    static func expireKey(orderID: String, sessionID: String) -> String {
        "order:\(orderID):expire:\(sessionID):\(UUID().uuidString.lowercased())"
    }

    /// Makes sure an old session can no longer take money before a new one is created.
    func retireSession(_ sessionID: String, order: OrderRecord) throws(CheckoutError) {
        let id = order.id.lowercased
        let session: PaymentSession
        do {
            session = try gateway.expireSession(
                sessionID, idempotencyKey: Self.expireKey(orderID: id, sessionID: sessionID))
        } catch {
            guard case .rejected = error else { throw stripeFailure(error, orderID: order.id, action: "expire") }
            // Not open any more, or not found: an answer to one call is not proof that nothing can be
            // paid there. Find out how the session stands.
            do {
                session = try gateway.retrieveSession(sessionID)
            } catch {
                // Only Stripe saying twice that it does not know the session proves it cannot take money.
                if error.isMissing { return }
                throw stripeFailure(error, orderID: order.id, action: "retrieve a checkout session")
            }
            guard session.status != .open else {
                // Expire was refused for another reason than "not open": the old session can still
                // take money, so no new one may be created (nor the order marked paid) yet.
                logger.warning(
                    "old session still open after a refused expire", metadata: ["order_id": "\(order.id)"])
                throw .stripeUnavailable(orderID: order.id, detail: "session \(sessionID) could not be expired")
            }
        }
        try run {
            try pool.withConnection { db in
                try orders.updateSession(
                    db, id: sessionID, status: session.status, paymentStatus: session.paymentStatus?.rawValue,
                    paymentIntentID: session.paymentIntentID)
            }
        }
        if session.status == .complete {
            try apply(session: session, orderID: order.id, actor: "system:retry-session")
            if session.paymentStatus == .unpaid {
                // Completed with a delayed method: refuse only while that payment may still succeed
                // (the order is still pending). Once it failed (order failed/expired) a new attempt may
                // start; the locked check in retrySession decides the rest.
                guard try loadOrder(order.id).state.status != .pendingPayment else {
                    throw .orderNotRetryable(status: .pendingPayment)
                }
                return
            }
            throw .orderAlreadyPaid(orderID: order.id)
        }
    }

    // MARK: - Shared

    /// Applies what a retrieved session says to its order (one transaction, order locked).
    @discardableResult
    func apply(session: PaymentSession, orderID: UUID, actor: String) throws(CheckoutError) -> OrderDecision? {
        guard let event = session.orderEvent else { return nil }
        return try run {
            try pool.transaction { db -> OrderDecision in
                guard var locked = try orders.order(db, id: orderID, forUpdate: true) else {
                    throw CheckoutError.orderNotFound
                }
                try orders.updateSession(
                    db, id: session.id, status: session.status, paymentStatus: session.paymentStatus?.rawValue,
                    paymentIntentID: session.paymentIntentID)
                if session.metadata["order_id"] == orderID.lowercased {
                    locked.state.sessionIDs.insert(session.id)  // ours by its metadata, even if never stored
                }
                return try transitions.apply(
                    db, order: locked, event: event, actor: actor)
            }
        }
    }

    func loadOrder(_ orderID: UUID) throws(CheckoutError) -> OrderRecord {
        guard let order = try run({ try pool.withConnection { db in try orders.order(db, id: orderID) } }) else {
            throw .orderNotFound
        }
        return order
    }

    /// Maps a gateway failure to the domain error, logging Stripe rejections loudly (they mean our
    /// configuration or request is wrong).
    func stripeFailure(_ error: any Error, orderID: UUID?, action: String) -> CheckoutError {
        switch error as? PaymentGatewayError {
        case .rejected(let status, let type, let code, let message):
            logger.error(
                "Stripe rejected a request",
                metadata: [
                    "action": "\(action)", "order_id": "\(orderID.map(\.lowercased) ?? "-")", "status": "\(status)",
                    "type": "\(type ?? "-")", "code": "\(code ?? "-")",
                ])
            return .stripeRejected(orderID: orderID, detail: "\(status) \(code ?? type ?? ""): \(message)")
        case .unavailable(let detail):
            logger.warning(
                "Stripe unavailable",
                metadata: ["action": "\(action)", "order_id": "\(orderID.map(\.lowercased) ?? "-")"])
            return .stripeUnavailable(orderID: orderID, detail: detail)
        case nil:
            return .stripeUnavailable(orderID: orderID, detail: "\(error)")
        }
    }

    /// Runs `body`, classifying what it throws with ``CheckoutError/wrapping(_:)`` (and logging
    /// anything that is not a domain error).
    func run<T>(_ body: () throws -> T) throws(CheckoutError) -> T {
        do {
            return try body()
        } catch {
            let wrapped = CheckoutError.wrapping(error)
            if !(error is CheckoutError) {
                logger.error("\(wrapped.code)", metadata: ["error": "\(wrapped.description)"])
            }
            throw wrapped
        }
    }
}
