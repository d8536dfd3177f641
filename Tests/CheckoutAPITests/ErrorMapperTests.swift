import Checkout
import CheckoutAPI
import Foundation
import HTTPServer
import Logging
import Testing

@Suite("ErrorMapper")
struct ErrorMapperTests {
    /// The contract of every domain error on the wire: status and stable code.
    static let table: [(CheckoutError, Int, String)] = [
        (.validation(field: "items", message: "is wrong"), 400, "validation_error"),
        (.invalidJSON("not JSON"), 400, "invalid_json"),
        (.productUnavailable(productID: "p"), 422, "product_unavailable"),
        (.currencyMismatch, 422, "currency_mismatch"),
        (.outOfStock(productID: "p"), 409, "out_of_stock"),
        (.idempotencyKeyReused, 409, "idempotency_key_reused"),
        (.stripeRejected(orderID: nil, detail: "401"), 502, "stripe_rejected"),
        (.stripeUnavailable(orderID: nil, detail: "timeout"), 503, "stripe_unavailable"),
        (.orderNotFound, 404, "order_not_found"),
        (.orderNotRetryable(status: .paid), 409, "order_not_retryable"),
        (.orderAlreadyPaid(orderID: UUID()), 409, "order_already_paid"),
        (.fulfillmentNotRetryable(status: .success), 409, "fulfillment_not_retryable"),
        (.productNotFound(productID: "p"), 404, "product_not_found"),
        (.database(detail: "connection lost"), 503, "database_unavailable"),
        (.internalFailure(detail: "bug"), 500, "internal_error"),
    ]

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test("each domain error answers its status and code", arguments: table)
    func mapping(error: CheckoutError, status: Int, code: String) {
        let http = ErrorMapper.httpError(for: error, requestID: "r", logger: Self.quiet)
        #expect(http.status.code == status)
        #expect(http.code == code)
        #expect(ErrorMapper.status(of: error) == status)
    }

    @Test("the table and everyDomainError cover the same codes")
    func coverage() {
        #expect(Set(Self.table.map(\.0.code)) == Set(ErrorMapper.everyDomainError.map(\.code)))
    }
}
