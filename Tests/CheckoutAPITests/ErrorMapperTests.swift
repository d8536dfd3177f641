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
        (.database(detail: "connection lost"), 503, "database_unavailable"),
        (.internalFailure(detail: "bug"), 500, "internal_error"),
        (.subscriptionNotFound, 404, "subscription_not_found"),
        (.subscriptionNotCancellable(status: "canceled"), 409, "subscription_not_cancellable"),
    ]

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test("each domain error answers its status and code", arguments: table)
    func mapping(error: CheckoutError, status: Int, code: String) {
        let http = ErrorMapper.httpError(for: error, requestID: "r", logger: Self.quiet)
        #expect(http.status.code == status)
        #expect(http.code == code)
        #expect(ErrorMapper.status(of: error) == status)
    }

    /// Compiles only while it names every case: a new ``CheckoutError`` case stops the build here, and
    /// once it is given an index, ``tableHasEveryCase()`` fails until the table has its row.
    static func caseIndex(_ error: CheckoutError) -> Int {
        switch error {
        case .validation: return 0
        case .invalidJSON: return 1
        case .productUnavailable: return 2
        case .currencyMismatch: return 3
        case .outOfStock: return 4
        case .idempotencyKeyReused: return 5
        case .stripeRejected: return 6
        case .stripeUnavailable: return 7
        case .orderNotFound: return 8
        case .orderNotRetryable: return 9
        case .orderAlreadyPaid: return 10
        case .fulfillmentNotRetryable: return 11
        case .database: return 12
        case .internalFailure: return 13
        case .subscriptionNotFound: return 14
        case .subscriptionNotCancellable: return 15
        }
    }
    static let caseCount = 16

    @Test("the table has a row for every CheckoutError case")
    func tableHasEveryCase() {
        #expect(Set(Self.table.map { Self.caseIndex($0.0) }) == Set(0..<Self.caseCount))
    }
}
