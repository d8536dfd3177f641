extension StripeClient {
    /// `POST /v1/refunds` (https://docs.stripe.com/api/refunds/create): refunds `amount` (nil: all that is
    /// left) of the PaymentIntent's charge. `idempotencyKey` names the logical request, so a retried or
    /// doubled request refunds once; `metadata` is copied onto the refund (and its events).
    public func createRefund(
        paymentIntent: String, amount: Int64?, reason: String?, metadata: [String: String], idempotencyKey: String
    ) throws(StripeError) -> Refund {
        var form: [String: FormValue] = ["payment_intent": .string(paymentIntent)]
        if let amount { form["amount"] = .string(String(amount)) }
        if let reason { form["reason"] = .string(reason) }
        if !metadata.isEmpty { form["metadata"] = .dictionary(metadata.mapValues { .string($0) }) }
        return try send("POST", "/v1/refunds", form: form, idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/refunds/:id`.
    public func retrieveRefund(_ id: String) throws(StripeError) -> Refund {
        try send("GET", "/v1/refunds/" + FormEncoder.percentEncode(id), form: nil, idempotencyKey: nil)
    }
}
