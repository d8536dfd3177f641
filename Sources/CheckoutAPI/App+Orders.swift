import Checkout
import Foundation
import HTTPServer

extension App {
    /// Public order routes and the public catalog (docs/API.md §2).
    func registerOrderRoutes(_ services: AppServices) {
        let checkout = services.checkout
        let stripe = stripeBulkhead
        route(.get, "/api/orders/by-session/:sessionId") { request in
            // A read: never 503 for Stripe; the refresh from Stripe is skipped when the bulkhead is full.
            .json(
                try checkout.order(bySessionID: request.pathParameters["sessionId"] ?? "", stripe: stripe)
                    .maskingEmail())
        }
        route(.get, "/api/orders/:orderId") { request in
            // The id is in the cancel URL (browser history, referrers, shared links): anyone holding it
            // sees the order, so the email is masked like in every public response.
            .json(try checkout.publicOrder(try Self.orderID(request, "orderId")).maskingEmail())
        }
        route(.post, "/api/orders/:orderId/retry-session", stripeBound: true) { request in
            // Public: a stranger holding the id must not break a payment in progress, so an open
            // session is answered as is (200); only a new session is 201.
            let result = try checkout.customerRetrySession(orderID: try Self.orderID(request, "orderId"))
            return .json(result.session, status: result.reused ? .ok : .created)
        }
        route(.get, "/api/products") { _ in
            .json(ProductList(products: try checkout.products(activeOnly: true)))
        }
    }

    /// The UUID in path parameter `name`; anything else cannot name an order, so it is 404 `order_not_found`.
    static func orderID(_ request: HTTPRequest, _ name: String) throws(CheckoutError) -> UUID {
        guard let raw = request.pathParameters[name], raw.count == 36, let id = UUID(uuidString: raw) else {
            throw .orderNotFound
        }
        return id
    }
}

/// `{"products": [...]}`.
struct ProductList: Encodable {
    var products: [Product]
}
