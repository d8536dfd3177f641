import Foundation
import Postgres

extension CheckoutService {
    /// `GET /api/admin/orders`: one page, newest first (see ``AdminOrderQuery``).
    public func adminOrders(_ query: AdminOrderQuery) throws(CheckoutError) -> AdminOrderPage {
        try run {
            try pool.withConnection { db in
                let (records, next) = try orders.adminList(db, query)
                let items = try orders.items(db, orderIDs: records.map(\.id))
                let list = records.map { AdminOrder($0, items: items[$0.id] ?? []) }
                return AdminOrderPage(orders: list, nextCursor: next)
            }
        }
    }

    /// `GET /api/admin/orders/:id`: the order with its items, sessions, payments ledger, stock
    /// reservations, Stripe events and history.
    public func adminOrder(_ orderID: UUID) throws(CheckoutError) -> AdminOrder {
        try run {
            try pool.withConnection { db in
                guard let record = try orders.order(db, id: orderID) else { throw CheckoutError.orderNotFound }
                var order = AdminOrder(
                    record, items: try orders.items(db, orderID: orderID),
                    sessions: try orders.sessions(db, orderID: orderID),
                    payments: try PaymentStore().payments(db, orderID: orderID),
                    reservations: try products.reservations(db, orderID: orderID),
                    events: try events.events(db, orderID: orderID),
                    history: try orders.history(db, orderID: orderID))
                try order.addLedgersAfterPayment(db, record: record)
                return order
            }
        }
    }

    /// Manual reconcile of an unpaid order (money arrived another way): records the order's one
    /// manual payment (`note` is required: it is the history row's reason and actor), and fulfillment
    /// is enqueued like for a Stripe payment.
    /// The order's session is expired at Stripe first so the customer cannot pay twice; if it turns
    /// out paid, that payment is applied and ``CheckoutError/orderAlreadyPaid(orderID:)`` thrown (a
    /// delayed payment still processing: ``CheckoutError/orderNotRetryable(status:)``). The payment is
    /// recorded only if the session it expired is still the order's current one under the row lock;
    /// when a retry-session made a new one meanwhile, that one is expired in turn (up to 3 rounds,
    /// then ``CheckoutError/stripeUnavailable(orderID:detail:)``: nothing changed).
    /// Throws ``CheckoutError/orderAlreadyPaid(orderID:)`` when the order already received money.
    public func markPaid(orderID: UUID, note: String) throws(CheckoutError) -> AdminOrder {
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty else { throw .validation(field: "note", message: "is required") }
        guard note.unicodeScalars.count <= 500, !note.unicodeScalars.contains("\u{0}") else {
            throw .validation(field: "note", message: "must be at most 500 Unicode scalars, without NUL")
        }
        for _ in 0..<3 {
            let order = try loadOrder(orderID)
            let expired = order.state.currentSessionID
            if !order.state.status.hasReceivedPayment, let expired {
                try retireSession(expired, order: order)
            }
            do throws(CheckoutError) {
                try command(
                    orderID, .markPaid(note: note, actor: "admin", expiredSessionID: expired), actor: "admin:\(note)"
                ) { state in
                    state.status.hasReceivedPayment
                        ? .orderAlreadyPaid(orderID: orderID)
                        : .stripeUnavailable(orderID: orderID, detail: OrderStateMachine.staleSessionReason)
                }
                return try adminOrder(orderID)
            } catch .stripeUnavailable(_, let detail) where detail == OrderStateMachine.staleSessionReason {
                continue  // a retry-session made a new session meanwhile: expire that one too
            }
        }
        throw .stripeUnavailable(orderID: orderID, detail: "the order's session kept changing during mark-paid")
    }

    /// Admin retry of a failed fulfillment: back to `pending` and the `fulfill` job re-enqueued.
    /// Throws ``CheckoutError/fulfillmentNotRetryable(status:)`` unless fulfillment failed.
    public func retryFulfillment(orderID: UUID) throws(CheckoutError) -> AdminOrder {
        try command(orderID, .retryFulfillment, actor: "admin:retry-fulfillment") { state in
            .fulfillmentNotRetryable(status: state.fulfillmentStatus)
        }
        return try adminOrder(orderID)
    }

    /// Admin cancel of an unpaid order (docs/API.md §3): gives the stock back. The session at
    /// Stripe is left to expire; a payment that still arrives wins and flags the order.
    public func cancel(orderID: UUID, reason: String) throws(CheckoutError) -> AdminOrder {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.unicodeScalars.count <= 500, !reason.unicodeScalars.contains("\u{0}") else {
            throw .validation(field: "reason", message: "must be at most 500 Unicode scalars, without NUL")
        }
        try command(orderID, .cancel(reason: reason.isEmpty ? "cancelled by admin" : reason), actor: "admin:cancel") {
            state in .orderNotRetryable(status: state.status)
        }
        return try adminOrder(orderID)
    }

    /// Asks Stripe for the order's current session and applies what it says (repairs a missed
    /// webhook). An order without a session is returned unchanged.
    public func sync(orderID: UUID) throws(CheckoutError) -> AdminOrder {
        let order = try loadOrder(orderID)
        if let sessionID = order.state.currentSessionID {
            let session: PaymentSession
            do {
                session = try gateway.retrieveSession(sessionID)
            } catch {
                throw stripeFailure(error, orderID: orderID, action: "retrieve a checkout session")
            }
            try apply(session: session, orderID: orderID, actor: "admin:sync")
        }
        return try adminOrder(orderID)
    }

    // MARK: - The outbox worker reports here

    /// The fulfillment job succeeded: `paid` → `confirmed` (fulfillment `success`, optional supplier
    /// reference stored, "order confirmed" notification enqueued). Returns false when it changed
    /// nothing (already confirmed, or the order is not paid).
    @discardableResult
    public func recordFulfillmentSucceeded(orderID: UUID, reference: String?) throws(CheckoutError) -> Bool {
        try transition(orderID, .fulfillmentSucceeded(reference: reference), actor: "system:fulfillment")
    }

    /// The fulfillment job gave up (retries exhausted): fulfillment `failed`, the order needs
    /// attention, one `needs_attention` notification enqueued. Returns false when it changed nothing.
    @discardableResult
    public func recordFulfillmentFailed(orderID: UUID, error: String) throws(CheckoutError) -> Bool {
        try transition(orderID, .fulfillmentFailed(error: String(error.prefix(1000))), actor: "system:fulfillment")
    }

    private func transition(_ orderID: UUID, _ event: OrderEvent, actor: String) throws(CheckoutError) -> Bool {
        try input(orderID, event, actor: actor).decision.newState != nil
    }

    /// Applies one input to the locked order in its own transaction (the one mutation path) and
    /// returns the order as it was under the lock, with the decision.
    func input(_ orderID: UUID, _ event: OrderEvent, actor: String) throws(CheckoutError)
        -> (before: OrderRecord, decision: OrderDecision)
    {
        try run {
            try pool.transaction { db in
                guard let locked = try orders.order(db, id: orderID, forUpdate: true) else {
                    throw CheckoutError.orderNotFound
                }
                return (locked, try transitions.apply(db, order: locked, event: event, actor: actor))
            }
        }
    }

    /// Applies a command to the locked order; a no-op becomes the error `refusal` builds.
    private func command(
        _ orderID: UUID, _ event: OrderEvent, actor: String, refusal: @escaping (OrderState) -> CheckoutError
    ) throws(CheckoutError) {
        try run {
            try pool.transaction { db in
                guard let locked = try orders.order(db, id: orderID, forUpdate: true) else {
                    throw CheckoutError.orderNotFound
                }
                let decision = try transitions.apply(db, order: locked, event: event, actor: actor)
                if decision.newState == nil { throw refusal(locked.state) }
            }
        }
    }

    // MARK: - Catalog

    /// `GET /api/products` (active only) and `GET /api/admin/products` (all).
    public func products(activeOnly: Bool) throws(CheckoutError) -> [Product] {
        try run { try pool.withConnection { db in try products.list(db, activeOnly: activeOnly) } }
    }

    /// `PUT /api/admin/products/:id`: creates or replaces (see ``Product/parse(id:body:)``).
    public func upsertProduct(_ product: Product) throws(CheckoutError) -> Product {
        try run { try pool.withConnection { db in try products.upsert(db, product) } }
    }
}
