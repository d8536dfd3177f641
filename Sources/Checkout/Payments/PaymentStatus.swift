/// What we know about the money (`orders.payment_status`). Raw values are the schema's CHECK values.
public enum PaymentStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case pending
    case paid
    case failed
    case expired
    case refunded
    case cancelled
}
