import Foundation

/// A product's recurring price: the customer is billed `unitAmount` every `intervalCount` × `interval`
/// (Stripe's `price_data[recurring]`). Encodes as `{"interval": "month", "intervalCount": 1}`.
///
/// Stripe's rules (https://docs.stripe.com/api/prices/create, `recurring`): `interval` is `day`, `week`,
/// `month` or `year`, `interval_count` a positive integer, and the period at most one year (365 days, 52
/// weeks, 12 months or 1 year). A product Stripe would refuse is refused when it is saved, not when a
/// customer subscribes. The same rule is a CHECK on `products` (migration 011).
public struct RecurringPrice: Sendable, Equatable, Hashable, Codable {
    /// Stripe's billing interval unit.
    public enum Interval: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
        case day, week, month, year

        /// The largest count that stays within one year.
        public var maximumCount: Int {
            switch self {
            case .day: return 365
            case .week: return 52
            case .month: return 12
            case .year: return 1
            }
        }
    }

    public var interval: Interval
    public var intervalCount: Int

    public init(interval: Interval, intervalCount: Int = 1) {
        self.interval = interval
        self.intervalCount = intervalCount
    }

    /// "every 2 weeks", "every month".
    public var description: String {
        intervalCount == 1 ? "every \(interval.rawValue)" : "every \(intervalCount) \(interval.rawValue)s"
    }

    /// Parses the `recurring` field of a product body: absent or null is a one-time price; otherwise an
    /// object with `interval` (required) and `intervalCount` (default 1, within one year in total).
    static func parse(_ raw: Any?) throws(CheckoutError) -> RecurringPrice? {
        guard let raw, !(raw is NSNull) else { return nil }
        guard let object = raw as? [String: Any] else {
            throw .validation(field: "recurring", message: "must be null (a one-time price) or an object")
        }
        for key in object.keys.sorted() where !["interval", "intervalCount"].contains(key) {
            throw .validation(field: "recurring.\(key)", message: "unknown field")
        }
        guard let text = object["interval"] as? String, !(object["interval"] is NSNumber),
            let interval = Interval(rawValue: text)
        else {
            throw .validation(field: "recurring.interval", message: "must be one of day, week, month, year")
        }
        var count = 1
        if let rawCount = object["intervalCount"], !(rawCount is NSNull) {
            guard let value = Product.integer(rawCount), value >= 1 else {
                throw .validation(field: "recurring.intervalCount", message: "must be an integer >= 1")
            }
            count = value
        }
        guard count <= interval.maximumCount else {
            throw .validation(
                field: "recurring.intervalCount",
                message:
                    "must be at most \(interval.maximumCount) for interval \(interval.rawValue): Stripe bills at least once a year"
            )
        }
        return RecurringPrice(interval: interval, intervalCount: count)
    }
}
