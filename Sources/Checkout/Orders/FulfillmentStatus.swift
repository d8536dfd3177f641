/// Post-payment work (`orders.fulfillment_status`). Raw values are the schema's CHECK values.
///
/// `not_attempted` until the order is paid; `pending` while the outbox job runs or retries;
/// `success` or `failed` (retries exhausted: the order needs attention).
public enum FulfillmentStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case notAttempted = "not_attempted"
    case pending
    case success
    case failed
}
