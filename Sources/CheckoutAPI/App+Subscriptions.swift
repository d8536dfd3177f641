import Checkout
import Foundation
import HTTPServer

extension App {
    /// The admin subscription routes (docs/API.md §3). Authentication is ``AdminAuthMiddleware``'s job.
    func registerSubscriptionRoutes(_ services: AppServices) {
        let checkout = services.checkout
        route(.get, "/api/admin/subscriptions") { request in
            .json(try checkout.adminSubscriptions(try AdminSubscriptionQuery.parse(request.query)))
        }
        route(.get, "/api/admin/subscriptions/:id") { request in
            .json(try checkout.adminSubscription(request.pathParameters["id"] ?? ""))
        }
        route(.post, "/api/admin/subscriptions/:id/cancel", stripeBound: true) { request in
            let id = request.pathParameters["id"] ?? ""
            return .json(try checkout.cancelSubscription(id, atPeriodEnd: try Self.atPeriodEnd(request.body)))
        }
    }

    /// `{"atPeriodEnd": bool}`; an empty body or an absent field is true (cancel when the paid period ends).
    static func atPeriodEnd(_ body: [UInt8]) throws(CheckoutError) -> Bool {
        guard !body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) else { return true }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            throw .invalidJSON("request body is not valid JSON")
        }
        guard let root = object as? [String: Any] else { throw .invalidJSON("request body must be a JSON object") }
        for key in root.keys.sorted() where key != "atPeriodEnd" {
            throw .validation(field: key, message: "unknown field")
        }
        guard let value = root["atPeriodEnd"], !(value is NSNull) else { return true }
        guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else {
            throw .validation(field: "atPeriodEnd", message: "must be a boolean")
        }
        return number.boolValue
    }
}
