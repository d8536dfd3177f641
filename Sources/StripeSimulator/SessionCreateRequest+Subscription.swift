import Stripe

/// Subscription mode (https://docs.stripe.com/api/checkout/sessions/create, `mode`, `line_items`,
/// `subscription_data`): recurring prices only there, at least one of them, up to 20 recurring and 20
/// one-time lines, one billing period per subscription, at most one year between bills, and
/// `subscription_data` instead of `payment_intent_data`.
extension SessionCreateRequest {
    /// `price_data[recurring]`.
    struct Recurring: Sendable, Equatable, Codable, Hashable {
        var interval: String
        var intervalCount: Int64
    }

    static let maximumRecurringLines = 20
    static let maximumOneTimeLinesInSubscriptionMode = 20
    static let intervalLimits: [String: Int64] = ["day": 365, "week": 52, "month": 12, "year": 1]

    static func recurring(_ value: FormValue?, param: String) throws(StripeAPIError) -> Recurring? {
        guard let value else { return nil }
        guard let dict = value.dictionaryValue else { throw invalid(param, "Invalid hash") }
        try unknownKeys(dict, allowed: ["interval", "interval_count"], prefix: param)
        guard let interval = try string(dict["interval"], param: "\(param)[interval]") else {
            throw missing("\(param)[interval]")
        }
        guard let limit = intervalLimits[interval] else {
            throw invalid("\(param)[interval]", "Invalid \(param)[interval]: must be one of day, week, month, or year")
        }
        let count = try integer(dict["interval_count"], param: "\(param)[interval_count]") ?? 1
        guard count >= 1 else {
            throw invalid(
                "\(param)[interval_count]", "This value must be greater than or equal to 1.",
                code: "parameter_invalid_integer")
        }
        guard count <= limit else {
            throw invalid(
                "\(param)[interval_count]",
                "The maximum billing interval is 1 year (365 days, 52 weeks, 12 months or 1 year); got \(count) \(interval)s."
            )
        }
        return Recurring(interval: interval, intervalCount: count)
    }

    static func checkLines(_ items: [LineItem], mode: String) throws(StripeAPIError) {
        let recurring = items.filter { $0.recurring != nil }
        guard mode == "subscription" else {
            if !recurring.isEmpty {
                throw invalid(
                    "line_items",
                    "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices."
                )
            }
            return
        }
        guard let first = recurring.first else {
            throw invalid(
                "line_items",
                "You must specify at least one recurring price in `subscription` mode when using prices.")
        }
        if recurring.count > maximumRecurringLines {
            throw invalid(
                "line_items",
                "You may only specify up to \(maximumRecurringLines) recurring line items in subscription mode.")
        }
        if items.count - recurring.count > maximumOneTimeLinesInSubscriptionMode {
            throw invalid(
                "line_items",
                "You may only specify up to \(maximumOneTimeLinesInSubscriptionMode) one-time line items in subscription mode."
            )
        }
        if recurring.contains(where: { $0.recurring != first.recurring }) {
            throw invalid(
                "line_items",
                "All recurring prices in a Checkout Session must have the same `recurring.interval` and `recurring.interval_count`."
            )
        }
    }

    /// `subscription_data[metadata]` (and `description`), refused outside subscription mode; and
    /// `payment_intent_data` refused inside it.
    static func subscriptionData(_ p: [String: FormValue], mode: String) throws(StripeAPIError) -> [String: String] {
        if mode == "subscription", p["payment_intent_data"] != nil {
            throw invalid("payment_intent_data", "You can not pass `payment_intent_data` in `subscription` mode.")
        }
        guard let value = p["subscription_data"] else { return [:] }
        guard mode == "subscription" else {
            throw invalid("subscription_data", "You can not pass `subscription_data` in `\(mode)` mode.")
        }
        guard let dict = value.dictionaryValue else { throw invalid("subscription_data", "Invalid hash") }
        try unknownKeys(dict, allowed: ["metadata", "description"], prefix: "subscription_data")
        _ = try string(dict["description"], param: "subscription_data[description]")
        return try metadata(dict["metadata"], param: "subscription_data[metadata]")
    }
}
