/// The order's overall status (`orders.status`). Raw values are exactly the schema's CHECK values.
///
/// The status answers "where is this order in its life": waiting for money, paid, handed to
/// fulfillment, or ended without money. See docs/API.md §4 for the table of reachable combinations.
public enum OrderStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case pendingPayment = "pending_payment"
    case paid
    case confirmed
    case failed
    case expired
    case refunded
    case cancelled

    /// True for the states in which money was received (and therefore can never be downgraded).
    public var hasReceivedPayment: Bool {
        switch self {
        case .paid, .confirmed, .refunded: return true
        case .pendingPayment, .failed, .expired, .cancelled: return false
        }
    }

    /// True for the unpaid states from which retry-session may start a new payment attempt.
    public var isRetryable: Bool {
        switch self {
        case .pendingPayment, .failed, .expired: return true
        case .paid, .confirmed, .refunded, .cancelled: return false
        }
    }
}
