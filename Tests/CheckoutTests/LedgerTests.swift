import Foundation
import Postgres
import Testing

@testable import Checkout

/// The ledgers' own rules, as the state machine states them (pure) and as the database enforces
/// them (constraints and triggers of migration 004), attacked directly.
@Suite("Ledgers: payments and stock reservations")
struct LedgerTests {
    // MARK: Pure rules

    @Test("a Stripe refund never matches a manual payment: after mark-paid the order stays paid")
    func refundAfterMarkPaid() throws {
        let marked = Fixture.state("markedPaid")
        let refund = OrderStateMachine.apply(
            marked, .chargeRefunded(paymentIntentID: "pi_2", amountRefunded: 5000, amount: 5000, currency: "usd"))
        let next = try #require(refund.newState)
        #expect(next.status == .paid, "the bank transfer is kept")
        #expect(next.payments.map(\.kind) == [.manual, .stripe], "the refunded Stripe payment is its own row")
        #expect(next.amountReceived == 10_000 && next.amountRefunded == 5000)
        #expect(!refund.effects.contains(.enqueueFulfillment))
    }

    @Test("a second payment is its own row and flagged; refunding it in full clears only that flag")
    func duplicatePaymentRefunded() throws {
        let second = OrderStateMachine.apply(
            Fixture.state("paid"),
            .sessionCompleted(
                sessionID: "cs_old", paymentStatus: .paid, paymentIntentID: "pi_old", amountTotal: 5000,
                currency: "usd"))
        let flagged = try #require(second.newState)
        #expect(flagged.payments.count == 2 && flagged.needsAttention)
        #expect(flagged.attentionReason?.contains("second payment pi_old") == true)
        let partly = try #require(
            OrderStateMachine.apply(
                flagged, .chargeRefunded(paymentIntentID: "pi_old", amountRefunded: 10, amount: 5000, currency: "usd")
            ).newState)
        #expect(partly.needsAttention, "still one payment too many")
        let refunded = try #require(
            OrderStateMachine.apply(
                partly, .chargeRefunded(paymentIntentID: "pi_old", amountRefunded: 5000, amount: 5000, currency: "usd")
            ).newState)
        #expect(!refunded.needsAttention && refunded.attentionReason == nil)
        #expect(refunded.status == .paid, "the first payment still stands")
        #expect(refunded.amountReceived == 10_000 && refunded.amountRefunded == 5000)
    }

    @Test("a refund above what its payment received is capped at that payment")
    func refundCapped() throws {
        let next = try #require(
            OrderStateMachine.apply(
                Fixture.state("paid"),
                .chargeRefunded(paymentIntentID: "pi_cur", amountRefunded: 9000, amount: 9000, currency: "usd")
            ).newState)
        #expect(next.amountRefunded == 5000 && next.status == .refunded)
    }

    @Test("paid after the stock went elsewhere: money kept, fulfillment held, flagged, reasons kept")
    func outOfStockDecision() throws {
        var cancelled = Fixture.state("cancelled")
        cancelled.needsAttention = true
        cancelled.attentionReason = "earlier reason"
        let paid = OrderStateMachine.apply(cancelled, Fixture.event("completedPaid"))
        #expect(paid.effects.contains(.reacquireStockOrFlag) && paid.effects.contains(.enqueueFulfillment))
        let held = OrderStateMachine.outOfStock(paid, productID: "sku_1")
        let next = try #require(held.newState)
        #expect(next.triple == StatusTriple(.paid, .paid, .failed))
        #expect(!next.stockReserved)
        #expect(!held.effects.contains(.enqueueFulfillment) && !held.effects.contains(.reacquireStockOrFlag))
        #expect(held.effects.contains(.enqueueNotification(.needsAttention)))
        let reason = next.attentionReason ?? ""
        #expect(
            reason.contains("earlier reason") && reason.contains("paid after it was cancelled")
                && reason.contains("paid, out of stock: sku_1"), "\(reason)")
        // The admin's retry-fulfillment must take a unit first, and then removes only this reason.
        let retry = OrderStateMachine.apply(next, .retryFulfillment)
        #expect(retry.effects == [.reserveStock, .commitStock, .enqueueFulfillment])
        #expect(retry.newState?.attentionReason?.contains("out of stock") == false)
        #expect(retry.newState?.stockReserved == true)
    }

    @Test("the reconciler's inputs: release an ended order's reservation, requeue a lost fulfillment job")
    func reconcilerInputs() throws {
        var failedHolding = Fixture.state("failed")
        failedHolding.stockReserved = true
        let release = OrderStateMachine.apply(failedHolding, .releaseEndedReservation)
        #expect(release.effects == [.releaseStock] && release.newState?.stockReserved == false)
        #expect(OrderStateMachine.apply(release.newState!, .releaseEndedReservation).newState == nil)
        #expect(OrderStateMachine.apply(Fixture.state("paid"), .releaseEndedReservation).newState == nil)

        #expect(OrderStateMachine.apply(Fixture.state("paid"), .requeueFulfillment).effects == [.enqueueFulfillment])
        var paidNoStock = Fixture.state("paid")
        paidNoStock.stockReserved = false
        #expect(
            OrderStateMachine.apply(paidNoStock, .requeueFulfillment).newState == nil,
            "no fulfillment without a unit")
        #expect(OrderStateMachine.apply(Fixture.state("confirmed"), .requeueFulfillment).newState == nil)
    }

    @Test("mark-paid only while the session it expired is still the order's current one")
    func markPaidRechecksSession() {
        let pending = Fixture.state("pending")
        let stale = OrderStateMachine.apply(pending, .markPaid(note: "n", actor: "admin", expiredSessionID: "cs_old"))
        #expect(stale.newState == nil && stale.reason == OrderStateMachine.staleSessionReason)
        let current = OrderStateMachine.apply(pending, .markPaid(note: "n", actor: "admin", expiredSessionID: "cs_cur"))
        #expect(current.newState?.payments.map(\.kind) == [.manual])
        #expect(current.effects == [.commitStock, .enqueueFulfillment])
    }

    @Test("a paid completion without amount or currency confirms nothing; the same with them does")
    func unconfirmedCompletion() throws {
        let pending = Fixture.state("pending")
        let blind = OrderStateMachine.apply(pending, Fixture.event("completedNoAmount"))
        #expect(blind.effects == [.requestStripeCheck])
        let flagged = try #require(blind.newState)
        #expect(flagged.status == .pendingPayment && flagged.payments.isEmpty && flagged.needsAttention)
        let confirmed = try #require(OrderStateMachine.apply(flagged, Fixture.event("completedPaid")).newState)
        #expect(confirmed.status == .paid && !confirmed.needsAttention && confirmed.amountReceived == 5000)
    }

    // MARK: Enforced by the database

    @Test("the order's amounts and stock flag must match its ledgers, checked at commit")
    func derivedColumnsChecked() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 3)
        let checkout = try h.checkout([("p", 1)])
        try h.deliverAll(try h.simulator.pay(sessionID: checkout.id))
        for lie in [
            "UPDATE orders SET amount_received = amount_received + 1 WHERE id = $1",
            "UPDATE orders SET amount_refunded = 1 WHERE id = $1",
            "UPDATE orders SET stock_reserved = false WHERE id = $1",
            "DELETE FROM payments WHERE order_id = $1",
        ] {
            #expect(throws: PostgresError.self, "\(lie)") {
                try h.pool.transaction { db in _ = try db.execute(lie, [checkout.orderID]) }
            }
        }
        #expect(try h.order(checkout.orderID).state.amountReceived == 1250)
    }

    @Test("a payment cannot be recorded twice, nor lose refunds, nor be refunded above what it received")
    func paymentRowsGuarded() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        try h.deliverAll(try h.simulator.pay(sessionID: checkout.id))
        let intent = try #require(try h.order(checkout.orderID).state.paymentIntentID)
        let attacks: [(String, [any PostgresEncodable])] = [
            (
                """
                INSERT INTO payments (order_id, kind, payment_intent_id, amount, currency, status)
                VALUES ($1, 'stripe', $2, 1250, 'usd', 'succeeded')
                """, [checkout.orderID, intent]
            ),
            (
                """
                INSERT INTO payments (order_id, kind, payment_intent_id, session_id, amount, currency, status)
                VALUES ($1, 'stripe', 'pi_other', $2, 1250, 'usd', 'succeeded')
                """, [checkout.orderID, checkout.id]
            ),
            ("UPDATE payments SET amount_refunded = 2000, status = 'refunded' WHERE order_id = $1", [checkout.orderID]),
            ("UPDATE payments SET amount = 1 WHERE order_id = $1", [checkout.orderID]),
        ]
        for (sql, params) in attacks {
            #expect(throws: PostgresError.self, "\(sql)") {
                try h.pool.transaction { db in
                    _ = try db.execute(sql, params)
                    // Keep the order's derived columns in step, so only the ledger's own rule is tested.
                    _ = try db.execute(
                        """
                        UPDATE orders SET amount_received = (SELECT sum(amount) FROM payments WHERE order_id = $1),
                            amount_refunded = (SELECT sum(amount_refunded) FROM payments WHERE order_id = $1)
                        WHERE id = $1
                        """, [checkout.orderID])
                }
            }
        }
    }

    @Test("a release only undoes a reservation that exists: released or sold units never come back twice")
    func reservationTransitions() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 5)
        let sold = try h.checkout([("p", 2)])
        try h.deliverAll(try h.simulator.pay(sessionID: sold.id))
        let lapsed = try h.checkout([("p", 1)])
        try h.deliverAll(try h.simulator.expire(sessionID: lapsed.id))
        #expect(try h.stock("p") == 3)
        for (sql, order) in [
            ("UPDATE stock_reservations SET status = 'reserved' WHERE order_id = $1", lapsed.orderID),
            ("UPDATE stock_reservations SET status = 'released' WHERE order_id = $1", sold.orderID),
            ("UPDATE stock_reservations SET quantity = 1 WHERE order_id = $1", sold.orderID),
        ] {
            #expect(throws: PostgresError.self, "\(sql)") {
                try h.pool.transaction { db in _ = try db.execute(sql, [order]) }
            }
        }
        // Releasing through the store again gives nothing back: there is no reserved row left.
        try h.pool.transaction { db in
            try ProductStore().releaseReservations(db, orderID: lapsed.orderID)
            try ProductStore().releaseReservations(db, orderID: sold.orderID)
        }
        #expect(try h.stock("p") == 3)
        let rows = try h.pool.withConnection { db in
            try ProductStore().reservations(db, orderID: sold.orderID).map(\.status)
        }
        #expect(rows == ["committed"])
    }

    @Test("two lines of one product are one reservation; a limited product switched to unlimited and back")
    func reservationPerProduct() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 10)
        let order = try h.checkout([("p", 2), ("p", 3)])
        #expect(try h.stock("p") == 5)
        let rows = try h.pool.withConnection { db in try ProductStore().reservations(db, orderID: order.orderID) }
        #expect(rows.map(\.quantity) == [5] && rows.map(\.limited) == [true])
        try h.product("p", stock: 5)  // same kind of count: the reservation still belongs to it
        try h.deliverAll(try h.simulator.expire(sessionID: order.id))
        #expect(try h.stock("p") == 10)
    }
}

@Suite("Ledgers: fulfillment held until a unit is there")
struct HeldFulfillmentTests {
    @Test("retry-fulfillment of an order paid without stock needs a unit: 409 until restocked, then it ships")
    func retryNeedsUnit() throws {
        let h = try CheckoutHarness()
        try h.product("one", stock: 1)
        let a = try h.checkout([("one", 1)])
        try h.deliverAll(try h.simulator.decline(sessionID: a.id))
        _ = try h.checkout([("one", 1)])  // B takes the released unit
        try h.deliverAll(try h.simulator.pay(sessionID: a.id))
        #expect(try h.order(a.orderID).state.fulfillmentStatus == .failed)
        do {
            _ = try h.service.retryFulfillment(orderID: a.orderID)
            Issue.record("shipped without a unit")
        } catch {
            #expect(error.code == "out_of_stock")
        }
        #expect(try h.count("SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill'") == 0)
        try h.product("one", stock: 1)  // restocked
        let retried = try h.service.retryFulfillment(orderID: a.orderID)
        #expect(retried.order.fulfillmentStatus == .pending)
        #expect(!retried.needsAttention, "the out-of-stock reason is gone")
        #expect(try h.stock("one") == 0)
        #expect(retried.reservations?.filter { $0.status == "committed" }.map(\.quantity) == [1])
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill' AND order_id = $1", [a.orderID])
                == 1)
    }
}

@Suite("Ledgers: actors interleaved")
struct LedgerRaceTests {
    @Test("late payments racing for the last units: each unit is sold once, every payment kept, the rest held")
    func latePaymentsRace() throws {
        let h = try CheckoutHarness(poolSize: 12)
        try h.product("few", stock: 6)
        // Six orders decline (their units go back), then three units go to other customers: three left
        // for six late payments, which all arrive at once on their still-open sessions.
        var late: [CheckoutSessionResult] = []
        for _ in 0..<6 {
            let order = try h.checkout([("few", 1)])
            try h.deliverAll(try h.simulator.decline(sessionID: order.id))
            late.append(order)
        }
        for _ in 0..<3 { _ = try h.checkout([("few", 1)]) }
        #expect(try h.stock("few") == 3)
        let paid = try late.map { try h.simulator.pay(sessionID: $0.id) }
        let results = concurrently(paid.count) { index in
            (try? h.deliverAll(paid[index])) != nil
        }
        #expect(results.allSatisfy { $0 }, "every delivery committed")

        let orders = try late.map { try h.order($0.orderID) }
        #expect(orders.allSatisfy { $0.state.status == .paid && $0.state.amountReceived == 1250 }, "money kept")
        let shipped = orders.filter { $0.state.fulfillmentStatus == .pending }
        let held = orders.filter { $0.state.fulfillmentStatus == .failed }
        #expect(shipped.count == 3 && held.count == 3)
        #expect(
            held.allSatisfy { ($0.state.attentionReason ?? "").contains("out of stock") && !$0.state.stockReserved })
        #expect(try h.stock("few") == 0)
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM stock_reservations WHERE product_id = 'few' AND status = 'committed'")
                == 3)
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill' AND order_id = ANY($1::uuid[])",
                ["{" + late.map { $0.orderID.uuidString.lowercased() }.joined(separator: ",") + "}"]) == 3,
            "no fulfillment without a unit")
    }
}
