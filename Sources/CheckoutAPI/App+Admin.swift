import Checkout
import Foundation
import HTTPServer

extension App {
    /// The admin API (docs/API.md §3). Authentication is ``AdminAuthMiddleware``'s job, before routing.
    func registerAdminRoutes(_ services: AppServices) {
        let checkout = services.checkout
        route(.get, "/api/admin/orders") { request in
            .json(try checkout.adminOrders(try AdminOrderQuery.parse(request.query)))
        }
        route(.get, "/api/admin/orders/:id") { request in
            .json(try checkout.adminOrder(try Self.orderID(request, "id")))
        }
        route(.post, "/api/admin/orders/:id/retry-session", stripeBound: true) { request in
            .json(try checkout.retrySession(orderID: try Self.orderID(request, "id"), actor: "admin"), status: .created)
        }
        route(.post, "/api/admin/orders/:id/mark-paid", body: .required, stripeBound: true) { request in
            let id = try Self.orderID(request, "id")
            let note = try Self.stringField(request.body, "note", required: true) ?? ""
            return .json(try checkout.markPaid(orderID: id, note: note))
        }
        route(.post, "/api/admin/orders/:id/cancel") { request in
            let id = try Self.orderID(request, "id")
            let reason = request.body.isEmpty ? nil : try Self.stringField(request.body, "reason", required: false)
            return .json(try checkout.cancel(orderID: id, reason: reason ?? ""))
        }
        route(.post, "/api/admin/orders/:id/sync", stripeBound: true) { request in
            .json(try checkout.sync(orderID: try Self.orderID(request, "id")))
        }
        route(.post, "/api/admin/orders/:id/refunds", body: .required, stripeBound: true) { request in
            let id = try Self.orderID(request, "id")
            return .json(try checkout.refund(orderID: id, try AdminRefundRequest.parse(request.body)), status: .created)
        }
        route(.post, "/api/admin/orders/:id/retry-fulfillment") { request in
            .json(try checkout.retryFulfillment(orderID: try Self.orderID(request, "id")))
        }
        route(.get, "/api/admin/products") { _ in
            .json(ProductList(products: try checkout.products(activeOnly: false)))
        }
        route(.put, "/api/admin/products/:id", body: .required) { request in
            let product = try Product.parse(id: request.pathParameters["id"] ?? "", body: request.body)
            return .json(try checkout.upsertProduct(product))
        }
    }

    /// Reads one string field of a small JSON object body (`{"note": "…"}`), naming it in errors.
    static func stringField(_ body: [UInt8], _ name: String, required: Bool) throws(CheckoutError) -> String? {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            throw .invalidJSON("request body is not valid JSON")
        }
        guard let root = object as? [String: Any] else { throw .invalidJSON("request body must be a JSON object") }
        for key in root.keys.sorted() where key != name {
            throw .validation(field: key, message: "unknown field")
        }
        guard let value = root[name], !(value is NSNull) else {
            if required { throw .validation(field: name, message: "is required") }
            return nil
        }
        guard let string = value as? String else { throw .validation(field: name, message: "must be a string") }
        return string
    }
}
