/// The subscription calls the admin API makes (https://docs.stripe.com/api/subscriptions/update,
/// https://docs.stripe.com/api/subscriptions/cancel).
extension StripeClient {
    /// `POST /v1/subscriptions/:id` with `cancel_at_period_end`: the subscription ends when its current
    /// period does (true) or goes on (false).
    public func updateSubscription(_ id: String, cancelAtPeriodEnd: Bool, idempotencyKey: String)
        throws(StripeError) -> Subscription
    {
        try send(
            "POST", "/v1/subscriptions/" + FormEncoder.percentEncode(id),
            form: ["cancel_at_period_end": .string(cancelAtPeriodEnd ? "true" : "false")],
            idempotencyKey: idempotencyKey)
    }

    /// `DELETE /v1/subscriptions/:id`: cancels now.
    public func cancelSubscription(_ id: String, idempotencyKey: String) throws(StripeError) -> Subscription {
        try send(
            "DELETE", "/v1/subscriptions/" + FormEncoder.percentEncode(id), form: nil, idempotencyKey: idempotencyKey)
    }
}
