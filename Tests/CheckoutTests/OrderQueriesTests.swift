import Foundation
import Postgres
import Stripe
import StripeSimulator
import Testing

@testable import Checkout

@Suite("CheckoutService: lookups, retry-session and admin commands")
struct OrderQueriesTests {
    @Test("by-session asks Stripe when pending and not checked recently, once for concurrent lookups")
    func refreshFromStripe() throws {
        let h = try CheckoutHarness(poolSize: 10)
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        _ = try h.simulator.pay(sessionID: checkout.id)  // the webhook is "lost"

        // Checked at creation: within the interval the lookup does not call Stripe.
        #expect(try h.service.order(bySessionID: checkout.id).status == .pendingPayment)
        #expect(h.simulator.requests().filter { $0.method == "GET" }.isEmpty)

        try h.pool.withConnection { db in
            try db.execute(
                "UPDATE orders SET session_checked_at = now() - interval '1 hour' WHERE id = $1", [checkout.orderID])
        }
        let orders = concurrently(8) { _ in try? h.service.order(bySessionID: checkout.id) }
        #expect(orders.count == 8)
        #expect(h.simulator.requests().filter { $0.method == "GET" }.count == 1, "one Stripe call for 8 lookups")
        let order = try h.service.order(bySessionID: checkout.id)
        #expect(order.status == .paid && order.paymentStatus == .paid)
        #expect(order.orderNumber == checkout.orderNumber && order.items.count == 1)
        #expect(try h.count("SELECT count(*)::int AS n FROM order_history WHERE actor = 'system:session-refresh'") == 1)
        #expect(throws: CheckoutError.self) { try h.service.order(bySessionID: "cs_unknown") }
        #expect {
            _ = try h.service.order(bySessionID: checkout.id + "\u{0}x")
        } throws: { ($0 as? CheckoutError)?.code == "order_not_found" }
    }

    @Test("public order JSON has docs/API.md §4's keys")
    func publicJSON() throws {
        let h = try CheckoutHarness()
        try h.product("p", amount: 300)
        let checkout = try h.checkout([("p", 3)])
        let order = try h.service.order(bySessionID: checkout.id)
        let object = try #require(
            try JSONSerialization.jsonObject(with: try JSONEncoder().encode(order)) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "id", "orderNumber", "status", "paymentStatus", "fulfillmentStatus", "currency", "amountTotal",
                "items", "customerEmail", "checkoutSessionId", "failureReason", "createdAt", "updatedAt",
            ])
        #expect(object["id"] as? String == checkout.orderID.uuidString.lowercased())
        #expect(object["status"] as? String == "pending_payment")
        #expect(object["amountTotal"] as? Int == 900)
        #expect(object["failureReason"] is NSNull)
        #expect((object["createdAt"] as? String)?.hasSuffix("Z") == true)
        let item = try #require((object["items"] as? [[String: Any]])?.first)
        #expect(Set(item.keys) == ["productId", "title", "unitAmount", "quantity", "amountTotal"])
    }

    @Test("admin order JSON adds docs/API.md §4's admin keys; lists leave out sessions, events and history")
    func adminJSON() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        try h.deliverAll(try h.simulator.pay(sessionID: checkout.id))
        let publicKeys: Set<String> = [
            "id", "orderNumber", "status", "paymentStatus", "fulfillmentStatus", "currency", "amountTotal", "items",
            "customerEmail", "checkoutSessionId", "failureReason", "createdAt", "updatedAt",
        ]
        let adminKeys: Set<String> = [
            "customerId", "metadata", "paymentIntentId", "amountReceived", "amountRefunded", "fulfillmentReference",
            "fulfillmentError", "needsAttention", "attentionReason",
        ]
        let detail = try #require(
            try JSONSerialization.jsonObject(with: try JSONEncoder().encode(h.service.adminOrder(checkout.orderID)))
                as? [String: Any])
        #expect(
            Set(detail.keys)
                == publicKeys.union(adminKeys).union([
                    "sessions", "payments", "reservations", "events", "history", "refunds", "disputes",
                    "fraudWarnings", "refundStatus", "disputeStatus",
                ]))
        let payment = try #require((detail["payments"] as? [[String: Any]])?.first)
        #expect(payment["kind"] as? String == "stripe" && payment["status"] as? String == "succeeded")
        let reservation = try #require((detail["reservations"] as? [[String: Any]])?.first)
        #expect(reservation["status"] as? String == "committed")
        let session = try #require((detail["sessions"] as? [[String: Any]])?.first)
        #expect(Set(session.keys) == ["id", "status", "createdAt"] && session["status"] as? String == "complete")
        let event = try #require((detail["events"] as? [[String: Any]])?.first)
        #expect(Set(event.keys).isSuperset(of: ["id", "type", "stripeCreatedAt", "receivedAt", "result"]))
        let history = try #require((detail["history"] as? [[String: Any]])?.last)
        #expect(Set(history.keys) == ["at", "status", "paymentStatus", "fulfillmentStatus", "reason", "actor"])
        #expect(
            history["status"] as? String == "paid" && (history["actor"] as? String)?.hasPrefix("stripe:evt_") == true)

        let page = try #require(
            try JSONSerialization.jsonObject(with: try JSONEncoder().encode(h.service.adminOrders(AdminOrderQuery())))
                as? [String: Any])
        #expect(Set(page.keys) == ["orders", "nextCursor"] && page["nextCursor"] is NSNull)
        let listed = try #require((page["orders"] as? [[String: Any]])?.first)
        #expect(Set(listed.keys) == publicKeys.union(adminKeys))
    }

    @Test("retry-session when the old session was paid meanwhile: the payment is applied and it answers already paid")
    func retryFindsPaid() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        _ = try h.simulator.pay(sessionID: checkout.id)
        #expect {
            _ = try h.service.retrySession(orderID: checkout.orderID)
        } throws: { ($0 as? CheckoutError)?.code == "order_already_paid" }
        #expect(try h.order(checkout.orderID).state.status == .paid)
        #expect(h.simulator.sessions().count == 1, "no new session for a paid order")
        #expect {
            _ = try h.service.retrySession(orderID: checkout.orderID)
        } throws: { ($0 as? CheckoutError)?.code == "order_not_retryable" }
        #expect {
            _ = try h.service.retrySession(orderID: UUID())
        } throws: { ($0 as? CheckoutError)?.code == "order_not_found" }
    }

    @Test("retry-session after a delayed payment failed creates a new attempt (failed orders are retryable)")
    func retryAfterDelayedFailure() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 1)
        let checkout = try h.checkout([("p", 1)])
        try h.deliverAll(try h.simulator.completeUnpaid(sessionID: checkout.id))
        #expect {
            _ = try h.service.retrySession(orderID: checkout.orderID)
        } throws: { ($0 as? CheckoutError)?.code == "order_not_retryable" }  // still processing
        try h.deliverAll(try h.simulator.asyncPaymentFailed(sessionID: checkout.id))
        #expect(try h.order(checkout.orderID).state.status == .failed)
        #expect(try h.stock("p") == 1)
        let retried = try h.service.retrySession(orderID: checkout.orderID)
        #expect(retried.id != checkout.id)
        let order = try h.order(checkout.orderID)
        #expect(order.state.status == .pendingPayment && order.state.currentSessionID == retried.id)
        #expect(try h.stock("p") == 0)
        try h.deliverAll(try h.simulator.pay(sessionID: retried.id))
        #expect(try h.order(checkout.orderID).state.status == .paid)
    }

    @Test("two concurrent retry-sessions leave one open session: the late one answers the other's attempt")
    func concurrentRetries() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 5)
        let checkout = try h.checkout([("p", 1)])
        // The first Stripe call to arrive (one retry's expire of the old session) is held for a moment,
        // so the other retry expires, creates and stores its new session before the held one goes on.
        h.simulator.injectFault(.hang(1), count: 1)
        let service = h.service
        let orderID = checkout.orderID
        let results = concurrently(2) { _ in Result { try service.retrySession(orderID: orderID) } }
        let ids = try results.map { try $0.get().id }
        #expect(ids.count == 2 && Set(ids).count == 1, "\(ids)")
        let open = h.simulator.sessions().filter {
            $0.metadata["order_id"] == orderID.uuidString.lowercased() && $0.status == .open
        }
        #expect(open.map(\.id) == [try h.order(orderID).state.currentSessionID], "exactly one payable session")
        #expect(try h.stock("p") == 4)
    }

    @Test("mark-paid expires the open session first; a payment made before it is applied and mark-paid refused")
    func markPaidRetiresSession() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let first = try h.checkout([("p", 1)])
        _ = try h.service.markPaid(orderID: first.orderID, note: "bank transfer")
        #expect(h.simulator.session(first.id)?.status == .expired, "the customer can no longer pay it")
        #expect(try h.order(first.orderID).state.status == .paid)

        let second = try h.checkout([("p", 1)])
        _ = try h.simulator.pay(sessionID: second.id)  // paid; its webhook not delivered yet
        #expect {
            _ = try h.service.markPaid(orderID: second.orderID, note: "bank transfer")
        } throws: { ($0 as? CheckoutError)?.code == "order_already_paid" }
        let order = try h.order(second.orderID)
        #expect(order.state.status == .paid && order.state.paymentIntentID != nil && !order.state.needsAttention)
    }

    @Test("retry-session charges the saved prices, not today's catalog; the PaymentIntent carries the order id")
    func retryKeepsSavedPrices() throws {
        let h = try CheckoutHarness()
        try h.product("p", amount: 1250)
        let checkout = try h.checkout([("p", 2)])
        try h.product("p", amount: 9999)  // the catalog changes after checkout
        let declined = try h.simulator.decline(sessionID: checkout.id)
        let failedEvent = try #require(h.eventIDs(declined, type: "payment_intent.payment_failed").first)
        let body = try #require(h.simulator.eventBody(failedEvent))
        let mapping = StripeEventMapping(try JSONDecoder().decode(StripeEvent.self, from: Data(body)))
        #expect(mapping.orderIDHint == checkout.orderID, "payment_intent_data[metadata][order_id] was sent")
        try h.deliverAll(declined)
        let retried = try h.service.retrySession(orderID: checkout.orderID)
        #expect(h.simulator.session(retried.id)?.amountTotal == 2500)
        #expect(try h.order(checkout.orderID).state.amountTotal == 2500)
    }

    @Test("retry after expiry re-reserves stock, or answers out_of_stock when it is gone")
    func retryAfterExpiry() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 1)
        let checkout = try h.checkout([("p", 1)])
        try h.deliverAll(try h.simulator.expire(sessionID: checkout.id))
        #expect(try h.stock("p") == 1)
        let retried = try h.service.retrySession(orderID: checkout.orderID)
        #expect(try h.stock("p") == 0)
        #expect(try h.order(checkout.orderID).state.currentSessionID == retried.id)

        // Expired again, and meanwhile someone else takes the last unit: retry answers out_of_stock.
        try h.deliverAll(try h.simulator.expire(sessionID: retried.id))
        _ = try h.checkout([("p", 1)])
        #expect {
            _ = try h.service.retrySession(orderID: checkout.orderID)
        } throws: { ($0 as? CheckoutError)?.code == "out_of_stock" }
        #expect(try h.order(checkout.orderID).state.status == .expired, "nothing changed")
        #expect(try h.stock("p") == 0)
    }

    @Test("mark-paid needs a note, records it and enqueues fulfillment; retry-fulfillment only after failure")
    func adminCommands() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        #expect {
            _ = try h.service.markPaid(orderID: checkout.orderID, note: "  ")
        } throws: { ($0 as? CheckoutError)?.field == "note" }
        #expect {
            _ = try h.service.markPaid(orderID: checkout.orderID, note: "a\u{0}b")
        } throws: { ($0 as? CheckoutError)?.field == "note" }
        #expect {
            _ = try h.service.retryFulfillment(orderID: checkout.orderID)
        } throws: { ($0 as? CheckoutError)?.code == "fulfillment_not_retryable" }

        let admin = try h.service.markPaid(orderID: checkout.orderID, note: "bank transfer 42")
        #expect(admin.order.status == .paid && admin.order.fulfillmentStatus == .pending)
        #expect(admin.history?.last?.actor == "admin:bank transfer 42")
        #expect(try h.count("SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill'") == 1)
        #expect {
            _ = try h.service.markPaid(orderID: checkout.orderID, note: "again")
        } throws: { ($0 as? CheckoutError)?.code == "order_already_paid" }

        // The outbox worker gives up on fulfillment: needs attention + one notification.
        #expect(try h.service.recordFulfillmentFailed(orderID: checkout.orderID, error: "supplier 500"))
        #expect(try !h.service.recordFulfillmentFailed(orderID: checkout.orderID, error: "supplier 500"))
        var detail = try h.service.adminOrder(checkout.orderID)
        #expect(detail.needsAttention && detail.order.fulfillmentStatus == .failed)
        #expect(try h.count("SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'notify'") == 1)
        try h.pool.withConnection { db in
            try db.execute("UPDATE outbox_jobs SET status = 'failed' WHERE kind = 'fulfill'")
        }
        detail = try h.service.retryFulfillment(orderID: checkout.orderID)
        #expect(!detail.needsAttention && detail.order.fulfillmentStatus == .pending)
        #expect(
            try h.count("SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill' AND status = 'pending'")
                == 1,
            "the finished job is revived, never duplicated")
        #expect(try h.service.recordFulfillmentSucceeded(orderID: checkout.orderID, reference: "ship-1"))
        detail = try h.service.adminOrder(checkout.orderID)
        #expect(detail.order.status == .confirmed && detail.fulfillmentReference == "ship-1")
        #expect(try h.count("SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'notify'") == 2)
    }

    @Test("admin cancel gives the stock back once; a paid order cannot be cancelled")
    func cancel() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 2)
        let checkout = try h.checkout([("p", 2)])
        #expect(try h.stock("p") == 0)
        let cancelled = try h.service.cancel(orderID: checkout.orderID, reason: "customer called")
        #expect(cancelled.order.status == .cancelled && cancelled.order.failureReason == "customer called")
        #expect(try h.stock("p") == 2)
        #expect(throws: CheckoutError.self) { try h.service.cancel(orderID: checkout.orderID, reason: "") }
        #expect(try h.stock("p") == 2)
        let paid = try h.checkout([("p", 1)])
        try h.deliverAll(try h.simulator.pay(sessionID: paid.id))
        #expect {
            _ = try h.service.cancel(orderID: paid.orderID, reason: "x")
        } throws: { ($0 as? CheckoutError)?.code == "order_not_retryable" }
    }

    @Test("sync applies the session's state at Stripe")
    func sync() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        #expect(try h.service.sync(orderID: checkout.orderID).order.status == .pendingPayment)
        _ = try h.simulator.expire(sessionID: checkout.id)
        let synced = try h.service.sync(orderID: checkout.orderID)
        #expect(synced.order.status == .expired)
        #expect(synced.sessions?.first?.status == "expired")
        #expect(synced.history?.last?.actor == "admin:sync")
    }

    @Test("admin list: filters, search, needs-attention and keyset pagination")
    func adminList() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        var created: [CheckoutSessionResult] = []
        for index in 0..<5 { created.append(try h.checkout([("p", 1)], email: "Person\(index)@Example.com")) }
        try h.deliverAll(try h.simulator.pay(sessionID: created[1].id))
        _ = try h.apply(
            .markPaid(note: "x", actor: "admin", expiredSessionID: created[2].id), to: created[2].orderID)
        _ = try h.apply(.fulfillmentFailed(error: "boom"), to: created[2].orderID)

        var ids: [UUID] = []
        var cursor: String?
        repeat {
            let page = try h.service.adminOrders(AdminOrderQuery(limit: 2, cursor: cursor))
            ids += page.orders.map { UUID(uuidString: $0.order.id)! }
            #expect(page.orders.allSatisfy { $0.order.items.map(\.productId) == ["p"] })
            cursor = page.nextCursor
        } while cursor != nil
        #expect(ids == created.reversed().map(\.orderID), "newest first, every order exactly once")

        #expect(try h.service.adminOrders(AdminOrderQuery(status: .paid)).orders.count == 2)
        #expect(
            try h.service.adminOrders(AdminOrderQuery(needsAttention: true)).orders.map(\.order.id) == [
                created[2].orderID.uuidString.lowercased()
            ])
        #expect(try h.service.adminOrders(AdminOrderQuery(fulfillmentStatus: .failed)).orders.count == 1)
        #expect(try h.service.adminOrders(AdminOrderQuery(q: "person3@example")).orders.count == 1)
        #expect(try h.service.adminOrders(AdminOrderQuery(q: "SON3@EXAMPLE.C")).orders.count == 1)
        // LIKE's wildcards in the fragment match only themselves.
        #expect(try h.service.adminOrders(AdminOrderQuery(q: "person%")).orders.isEmpty)
        #expect(try h.service.adminOrders(AdminOrderQuery(q: "person_@")).orders.isEmpty)
        #expect(try h.service.adminOrders(AdminOrderQuery(q: "%")).orders.isEmpty)
        #expect(try h.service.adminOrders(AdminOrderQuery(q: created[4].orderNumber)).orders.count == 1)
        #expect(
            try h.service.adminOrders(AdminOrderQuery(q: created[0].id)).orders.first?.order.id
                == created[0].orderID.uuidString.lowercased())
        let pi = try #require(try h.order(created[1].orderID).state.paymentIntentID)
        #expect(try h.service.adminOrders(AdminOrderQuery(q: pi)).orders.count == 1)

        let detail = try h.service.adminOrder(created[1].orderID)
        #expect(detail.sessions?.map(\.id) == [created[1].id])
        #expect(detail.events?.contains { $0.type == "checkout.session.completed" && $0.result == "applied" } == true)
        #expect((detail.history?.count ?? 0) >= 3)
        #expect(throws: CheckoutError.self) { try AdminOrderQuery.parse(["status": "weird"]) }
        #expect(throws: CheckoutError.self) { try AdminOrderQuery.parse(["cursor": "!!"]) }
        #expect(throws: CheckoutError.self) { try AdminOrderQuery.parse(["q": "a\u{0}"]) }
        #expect(try AdminOrderQuery.parse(["limit": "5", "needsAttention": "true"]).limit == 5)
    }
}

@Suite("Admin search pattern")
struct AdminSearchPatternTests {
    @Test(
        "a fragment becomes a contains-pattern whose wildcards are literal",
        arguments: [
            ("abc", "%abc%"), ("a%b", "%a\\%b%"), ("a_b", "%a\\_b%"), ("a\\b", "%a\\\\b%"), ("Ab@C", "%Ab@C%"),
        ])
    func pattern(fragment: String, expected: String) {
        #expect(OrderStore.containsPattern(fragment) == expected)
    }
}
