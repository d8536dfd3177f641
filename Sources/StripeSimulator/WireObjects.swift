import Stripe

/// The full wire shape of every object the simulator returns, for the pinned API version: each field
/// Stripe's schema requires is present, null where Stripe has null for a hosted, card-only, payment-mode
/// session with no tax, shipping, discounts or customer object (https://docs.stripe.com/api/checkout/sessions/object,
/// .../api/payment_intents/object, .../api/charges/object, .../api/refunds/object, .../api/events/object).
/// `tests/stripe-conformance` validates these renderings against schemas built from Stripe's spec artifacts.
extension StripeSimulator {
    /// `checkout.session`.
    func wire(session record: SimulatorState.SessionRecord) -> Wire {
        let s = record.session
        let complete = s.status == .complete
        var customerDetails: Wire = nil
        if complete {
            let address: Wire = [
                "city": nil, "country": "US", "line1": nil, "line2": nil, "postal_code": "94107", "state": nil,
            ]
            customerDetails = [
                "address": address, "business_name": nil, "email": .text(s.customerEmail), "individual_name": nil,
                "name": "Sim Customer", "phone": nil, "tax_exempt": "none", "tax_ids": [],
            ]
        } else if let email = record.requestedEmail {
            customerDetails = [
                "address": nil, "business_name": nil, "email": .string(email), "individual_name": nil, "name": nil,
                "phone": nil, "tax_exempt": "none", "tax_ids": nil,
            ]
        }
        let base: Wire = [
            "id": .text(s.id), "object": "checkout.session",
            "adaptive_pricing": ["enabled": false],
            "after_expiration": nil,
            "allow_promotion_codes": nil,
            "amount_subtotal": .number(s.amountSubtotal),
            "amount_total": .number(s.amountTotal),
            "automatic_tax": ["enabled": false, "liability": nil, "provider": nil, "status": nil],
            "billing_address_collection": nil,
            "cancel_url": .text(s.cancelURL),
            "client_reference_id": .text(s.clientReferenceID),
            "client_secret": nil,
            "collected_information": complete
                ? ["business_name": nil, "individual_name": nil, "shipping_details": nil] : nil,
            "consent": nil,
            "consent_collection": nil,
            "created": .number(s.created),
            "currency": .text(s.currency),
            "currency_conversion": nil,
            "custom_fields": [],
            "custom_text": [
                "after_submit": nil, "shipping_address": nil, "submit": nil, "terms_of_service_acceptance": nil,
            ],
            "customer": .text(s.customer),
            "customer_account": nil,
            "customer_creation": "if_required",
            "customer_details": customerDetails,
            "customer_email": .text(record.requestedEmail),
            "discounts": [],
            "expires_at": .number(s.expiresAt),
            "integration_identifier": nil,
            "invoice": .text(s.invoice),
            "invoice_creation": [
                "enabled": false,
                "invoice_data": [
                    "account_tax_ids": nil, "custom_fields": nil, "description": nil, "footer": nil, "issuer": nil,
                    "metadata": [:], "rendering_options": nil,
                ],
            ],
            "livemode": false,
            "locale": nil,
            "managed_payments": ["enabled": false],
            "metadata": .map(s.metadata),
            "mode": .text(s.mode),
            "origin_context": nil,
            "payment_intent": .text(s.paymentIntent),
            "payment_link": nil,
            "payment_method_collection": "if_required",
            "payment_method_configuration_details": nil,
            "payment_method_options": ["card": ["request_three_d_secure": "automatic"]],
            "payment_method_types": ["card"],
            "payment_status": .text(s.paymentStatus.rawValue),
            "permissions": nil,
            "phone_number_collection": ["enabled": false],
            "recovered_from": nil,
            "saved_payment_method_options": nil,
            "setup_intent": nil,
            "shipping_address_collection": nil,
            "shipping_cost": nil,
            "shipping_options": [],
            "status": .text(s.status.rawValue),
            "submit_type": nil,
            "subscription": .text(s.subscription),
            "success_url": .text(s.successURL),
            "total_details": ["amount_discount": 0, "amount_shipping": 0, "amount_tax": 0],
            "ui_mode": "hosted_page",
            "url": .text(s.url),
            "wallet_options": nil,
        ]
        return record.echoed.reduce(base) { $0.setting($1.key, $1.value) }
    }

    /// `item` (a Checkout line item) with its inline `price`.
    func wire(lineItem item: SimulatorState.StoredLineItem, created: Int64?) -> Wire {
        let amount = item.item.unitAmount * item.item.quantity
        return [
            "id": .text(item.id), "object": "item",
            "adjustable_quantity": nil,
            "amount_discount": 0,
            "amount_subtotal": .number(amount),
            "amount_tax": 0,
            "amount_total": .number(amount),
            "currency": .text(item.item.currency),
            "description": .text(item.item.name),
            "metadata": [:],
            "price": [
                "id": .text(item.priceID), "object": "price", "active": false, "billing_scheme": "per_unit",
                "created": .number(created), "currency": .text(item.item.currency), "custom_unit_amount": nil,
                "livemode": false, "lookup_key": nil, "metadata": [:], "nickname": nil,
                "product": .text(item.productID), "recurring": nil, "tax_behavior": "unspecified",
                "tiers_mode": nil, "transform_quantity": nil, "type": "one_time",
                "unit_amount": .number(item.item.unitAmount),
                "unit_amount_decimal": .text(String(item.item.unitAmount)),
            ],
            "quantity": .number(item.item.quantity),
        ]
    }

    /// The `pm_…` a charge was paid with (one simulated card per charge).
    static func paymentMethodID(charge id: String) -> String { "pm_" + id.dropFirst("ch_".count) }

    /// `payment_intent`.
    func wire(paymentIntent pi: PaymentIntent) -> Wire {
        let error: Wire =
            pi.lastPaymentError.map { e in
                [
                    "type": .text(e.type), "code": .text(e.code), "decline_code": .text(e.declineCode),
                    "message": .text(e.message), "doc_url": nil, "param": nil, "payment_method": nil,
                ]
            } ?? nil
        return [
            "id": .text(pi.id), "object": "payment_intent",
            "amount": .number(pi.amount),
            "amount_capturable": 0,
            "amount_details": ["tip": [:]],
            "amount_received": .number(pi.amountReceived ?? 0),
            "application": nil,
            "application_fee_amount": nil,
            "automatic_payment_methods": nil,
            "canceled_at": nil,
            "cancellation_reason": nil,
            "capture_method": "automatic_async",
            "client_secret": .text(pi.id + "_secret_" + String(pi.id.suffix(12))),
            "confirmation_method": "automatic",
            "created": .number(pi.created),
            "currency": .text(pi.currency),
            "customer": nil,
            "customer_account": nil,
            "description": nil,
            "excluded_payment_method_types": nil,
            "last_payment_error": error,
            "latest_charge": .text(pi.latestCharge),
            "livemode": false,
            "managed_payments": nil,
            "metadata": .map(pi.metadata),
            "next_action": nil,
            "on_behalf_of": nil,
            "payment_method": .text(pi.latestCharge.map(Self.paymentMethodID(charge:))),
            "payment_method_configuration_details": nil,
            "payment_method_options": [
                "card": [
                    "installments": nil, "mandate_options": nil, "network": nil, "request_three_d_secure": "automatic",
                ]
            ],
            "payment_method_types": ["card"],
            "processing": nil,
            "receipt_email": nil,
            "review": nil,
            "setup_future_usage": nil,
            "shipping": nil,
            "source": nil,
            "statement_descriptor": nil,
            "statement_descriptor_suffix": nil,
            "status": .text(pi.status.rawValue),
            "transfer_data": nil,
            "transfer_group": nil,
        ]
    }

    /// `charge` (a card charge: Visa 4242, as Stripe's test card).
    func wire(charge c: Charge) -> Wire {
        let succeeded = c.status == .succeeded
        let card: Wire = [
            "amount_authorized": succeeded ? .number(c.amount) : nil, "authorization_code": nil, "brand": "visa",
            "checks": ["address_line1_check": nil, "address_postal_code_check": nil, "cvc_check": "pass"],
            "country": "US", "exp_month": 12, "exp_year": 2034, "extended_authorization": ["status": "disabled"],
            "fingerprint": "stripesimcard4242", "funding": "credit",
            "incremental_authorization": ["status": "unavailable"], "installments": nil, "last4": "4242",
            "mandate": nil, "multicapture": ["status": "unavailable"], "network": "visa",
            "network_token": ["used": false], "network_transaction_id": nil,
            "overcapture": ["maximum_amount_capturable": .number(c.amount), "status": "unavailable"],
            "regulated_status": "unregulated", "three_d_secure": nil, "transaction_link_id": nil, "wallet": nil,
        ]
        let outcome: Wire =
            succeeded
            ? [
                "advice_code": nil, "network_advice_code": nil, "network_decline_code": nil,
                "network_status": "approved_by_network", "reason": nil, "risk_level": "normal", "risk_score": 20,
                "seller_message": "Payment complete.", "type": "authorized",
            ]
            : [
                "advice_code": "try_again_later", "network_advice_code": nil, "network_decline_code": nil,
                "network_status": "declined_by_network", "reason": "generic_decline", "risk_level": "normal",
                "risk_score": 20, "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined",
            ]
        return [
            "id": .text(c.id), "object": "charge",
            "amount": .number(c.amount),
            "amount_captured": succeeded ? .number(c.amount) : 0,
            "amount_refunded": .number(c.amountRefunded),
            "application": nil,
            "application_fee": nil,
            "application_fee_amount": nil,
            "balance_transaction": succeeded ? .text("txn_" + c.id.dropFirst("ch_".count)) : nil,
            "billing_details": [
                "address": [
                    "city": nil, "country": "US", "line1": nil, "line2": nil, "postal_code": "94107", "state": nil,
                ],
                "email": nil, "name": "Sim Customer", "phone": nil, "tax_id": nil,
            ],
            "calculated_statement_descriptor": "STRIPE-SIM",
            "captured": .bool(succeeded),
            "created": .number(c.created),
            "currency": .text(c.currency),
            "customer": nil,
            "description": nil,
            "disputed": false,
            "failure_balance_transaction": nil,
            "failure_code": .text(c.failureCode),
            "failure_message": .text(c.failureMessage),
            "fraud_details": [:],
            "livemode": false,
            "metadata": .map(c.metadata),
            "on_behalf_of": nil,
            "outcome": outcome,
            "paid": .bool(c.paid),
            "payment_intent": .text(c.paymentIntent),
            "payment_method": .text(Self.paymentMethodID(charge: c.id)),
            "payment_method_details": ["card": card, "type": "card"],
            "receipt_email": nil,
            "receipt_number": nil,
            "receipt_url": nil,
            "refunded": .bool(c.refunded),
            "refunds": nil,
            "review": nil,
            "shipping": nil,
            "source": nil,
            "source_transfer": nil,
            "statement_descriptor": nil,
            "statement_descriptor_suffix": nil,
            "status": .text(c.status.rawValue),
            "transfer_data": nil,
            "transfer_group": nil,
        ]
    }

    /// `refund`.
    func wire(refund r: SimulatorState.RefundRecord) -> Wire {
        [
            "id": .text(r.id), "object": "refund",
            "amount": .number(r.amount),
            "balance_transaction": .text("txn_" + r.id.dropFirst("re_".count)),
            "charge": .text(r.chargeID),
            "created": .number(r.created),
            "currency": .text(r.currency),
            "customer": nil,
            "customer_account": nil,
            "destination_details": [
                "card": [
                    "reference": nil, "reference_status": "pending", "reference_type": "acquirer_reference_number",
                    "type": "refund",
                ],
                "type": "card",
            ],
            "failure_balance_transaction": r.status == "failed"
                ? .text("txn_f" + r.id.dropFirst("re_".count)) : nil,
            "failure_reason": .text(r.failureReason),
            "metadata": .map(r.metadata),
            "payment_intent": .text(r.paymentIntentID),
            "payment_method": .text(Self.paymentMethodID(charge: r.chargeID)),
            "pending_reason": r.status == "pending" ? "processing" : nil,
            "reason": .text(r.reason),
            "receipt_number": nil,
            "source_transfer_reversal": nil,
            "status": .text(r.status),
            "transfer_reversal": nil,
        ]
    }

    /// An event's `data.object`, rendered from the simulator's records.
    func wire(_ object: EventObject, _ s: SimulatorState) -> Wire {
        switch object {
        case .checkoutSession(let session):
            var record =
                s.sessions[session.id]
                ?? SimulatorState.SessionRecord(session: session, lineItems: [], paymentIntentMetadata: [:])
            record.session = session
            return wire(session: record)
        case .paymentIntent(let pi): return wire(paymentIntent: pi)
        case .charge(let c): return wire(charge: c)
        case .refund(let r):
            return wire(
                refund: SimulatorState.RefundRecord(
                    id: r.id, amount: r.amount, chargeID: r.charge ?? "", paymentIntentID: r.paymentIntent,
                    currency: r.currency, created: r.created ?? 0, status: r.status.rawValue, reason: r.reason,
                    failureReason: r.failureReason, metadata: r.metadata))
        case .dispute(let d): return wire(dispute: d)
        case .earlyFraudWarning(let w): return wire(fraudWarning: w)
        case .subscription(let sub): return wire(subscription: sub, s)
        case .invoice(let invoice): return wire(invoice: invoice)
        case .other(let type): return ["object": .text(type)]
        }
    }

    /// The event envelope of the pinned API version (https://docs.stripe.com/api/events/object).
    func wire(event e: StripeEvent, object: Wire) -> Wire {
        [
            "id": .text(e.id), "object": "event",
            "api_version": .text(e.apiVersion),
            "created": .number(e.created),
            "data": ["object": object],
            "livemode": .bool(e.livemode),
            "pending_webhooks": .number(Int64(e.pendingWebhooks)),
            "request": ["id": .text(e.request?.id), "idempotency_key": .text(e.request?.idempotencyKey)],
            "type": .text(e.type),
        ]
    }

    /// A Stripe list object (https://docs.stripe.com/api/pagination).
    static func wireList(_ data: [Wire], hasMore: Bool, url: String) -> Wire {
        ["object": "list", "data": .array(data), "has_more": .bool(hasMore), "url": .text(url)]
    }
}
