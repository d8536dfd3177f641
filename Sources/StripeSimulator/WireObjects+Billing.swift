import Stripe

/// The full wire shapes of the billing objects for the pinned API version: `subscription`,
/// `subscription_item`, `invoice`, `line_item` (an invoice line) and `customer`
/// (https://docs.stripe.com/api/subscriptions/object, .../api/invoices/object, .../api/customers/object).
/// Since 2025-03-31 a subscription's period is on its items and an invoice names its subscription under
/// `parent.subscription_details`; `tests/stripe-conformance` checks these renderings.
extension StripeSimulator {
    /// `subscription`.
    func wire(subscription sub: Subscription, _ s: SimulatorState) -> Wire {
        let items = sub.items.map { wire(subscriptionItem: $0, subscriptionID: sub.id) }
        let first = sub.items.first
        return [
            "id": .text(sub.id), "object": "subscription",
            "application": nil,
            "application_fee_percent": nil,
            "automatic_tax": ["disabled_reason": nil, "enabled": false, "liability": nil],
            "billing_cycle_anchor": .number(first?.created ?? sub.created),
            "billing_cycle_anchor_config": nil,
            "billing_mode": ["flexible": nil, "type": "classic"],
            "billing_schedules": [],
            "billing_thresholds": nil,
            "cancel_at": .number(sub.cancelAt),
            "cancel_at_period_end": .bool(sub.cancelAtPeriodEnd),
            "canceled_at": .number(sub.canceledAt),
            "cancellation_details": [
                "comment": nil, "feedback": nil,
                "reason": sub.canceledAt == nil ? nil : "cancellation_requested",
            ],
            "collection_method": "charge_automatically",
            "created": .number(sub.created),
            "currency": .text(sub.currency),
            "customer": .text(sub.customer),
            "customer_account": nil,
            "days_until_due": nil,
            "default_payment_method": .text(sub.customer.map { "pm_" + $0.dropFirst("cus_".count) }),
            "default_source": nil,
            "default_tax_rates": [],
            "description": nil,
            "discounts": [],
            "ended_at": .number(sub.endedAt),
            "invoice_settings": [
                "account_tax_ids": nil, "custom_fields": nil, "description": nil, "footer": nil,
                "issuer": ["type": "self"],
            ],
            "items": Self.wireList(items, hasMore: false, url: "/v1/subscription_items?subscription=\(sub.id)"),
            "latest_invoice": .text(sub.latestInvoice),
            "livemode": false,
            "managed_payments": nil,
            "metadata": .map(sub.metadata),
            "next_pending_invoice_item_invoice": nil,
            "on_behalf_of": nil,
            "pause_collection": nil,
            "payment_settings": [
                "payment_method_options": nil, "payment_method_types": nil,
                "save_default_payment_method": "off",
            ],
            "pending_invoice_item_interval": nil,
            "pending_setup_intent": nil,
            "pending_update": nil,
            "schedule": nil,
            "start_date": .number(sub.created),
            "status": .text(sub.status),
            "test_clock": nil,
            "transfer_data": nil,
            "trial_end": nil,
            "trial_settings": ["end_behavior": ["missing_payment_method": "create_invoice"]],
            "trial_start": nil,
        ]
    }

    /// `subscription_item` with its inline recurring `price`.
    func wire(subscriptionItem item: Subscription.Item, subscriptionID: String) -> Wire {
        let recurring: Wire = [
            "interval": .text(item.interval), "interval_count": .number(item.intervalCount), "meter": nil,
            "trial_period_days": nil, "usage_type": "licensed",
        ]
        let price: Wire = [
            "id": .text(item.priceID), "object": "price", "active": false, "billing_scheme": "per_unit",
            "created": .number(item.created), "currency": .text(item.currency), "custom_unit_amount": nil,
            "livemode": false, "lookup_key": nil, "metadata": [:], "nickname": nil, "product": .text(item.productID),
            "recurring": recurring, "tax_behavior": "unspecified", "tiers_mode": nil, "transform_quantity": nil,
            "type": "recurring", "unit_amount": .number(item.unitAmount),
            "unit_amount_decimal": .text(item.unitAmount.map { String($0) }),
        ]
        let plan: Wire = [
            "id": .text(item.priceID), "object": "plan", "active": false, "amount": .number(item.unitAmount),
            "amount_decimal": .text(item.unitAmount.map { String($0) }), "billing_scheme": "per_unit",
            "created": .number(item.created), "currency": .text(item.currency), "interval": .text(item.interval),
            "interval_count": .number(item.intervalCount), "livemode": false, "metadata": [:], "meter": nil,
            "nickname": nil, "product": .text(item.productID), "tiers_mode": nil, "transform_usage": nil,
            "trial_period_days": nil, "usage_type": "licensed",
        ]
        return [
            "id": .text(item.id), "object": "subscription_item",
            "billing_thresholds": nil,
            "created": .number(item.created),
            "current_period_end": .number(item.currentPeriodEnd),
            "current_period_start": .number(item.currentPeriodStart),
            "discounts": [],
            "metadata": [:],
            "plan": plan,
            "price": price,
            "quantity": .number(item.quantity),
            "subscription": .text(subscriptionID),
            "tax_rates": [],
        ]
    }

    /// `invoice` (`parent.subscription_details`, lines with `parent.subscription_item_details`).
    func wire(invoice i: Invoice) -> Wire {
        let paid = i.status == "paid"
        let lines = i.lines.map { line -> Wire in
            let itemDetails: Wire =
                line.subscriptionItem == nil
                ? nil
                : [
                    "invoice_item": nil, "proration": false, "proration_details": ["credited_items": nil],
                    "subscription": .text(i.subscriptionID), "subscription_item": .text(line.subscriptionItem),
                ]
            let lineParent: Wire =
                line.subscriptionItem == nil
                ? [
                    "invoice_item_details": [
                        "invoice_item": .string("ii_" + line.id.dropFirst("il_".count)), "proration": false,
                        "proration_details": ["credited_items": nil], "subscription": .text(i.subscriptionID),
                    ],
                    "subscription_item_details": nil, "type": "invoice_item_details",
                ]
                : [
                    "invoice_item_details": nil, "subscription_item_details": itemDetails,
                    "type": "subscription_item_details",
                ]
            return [
                "id": .text(line.id), "object": "line_item",
                "amount": .number(line.amount),
                "currency": .text(line.currency),
                "description": .text(line.description),
                "discount_amounts": [],
                "discountable": true,
                "discounts": [],
                "invoice": .text(i.id),
                "livemode": false,
                "metadata": [:],
                "parent": lineParent,
                "period": ["end": .number(line.periodEnd), "start": .number(line.periodStart)],
                "pretax_credit_amounts": [],
                "pricing": [
                    "price_details": ["price": nil, "product": nil], "type": "price_details",
                    "unit_amount_decimal": .text(
                        line.quantity.map { q in String(q == 0 ? line.amount : line.amount / q) }),
                ],
                "quantity": .number(line.quantity),
                "quantity_decimal": .text(line.quantity.map { String($0) }),
                "subscription": .text(i.subscriptionID),
                "subtotal": .number(line.amount),
                "taxes": [],
            ]
        }
        return [
            "id": .text(i.id), "object": "invoice",
            "account_country": "US",
            "account_name": "stripe-sim",
            "account_tax_ids": nil,
            "amount_due": .number(i.amountDue),
            "amount_overpaid": 0,
            "amount_paid": .number(i.amountPaid),
            "amount_remaining": .number(i.amountRemaining),
            "amount_shipping": 0,
            "application": nil,
            "attempt_count": .number(i.attemptCount),
            "attempted": .bool(i.attemptCount > 0),
            "auto_advance": .bool(!paid),
            "automatic_tax": [
                "disabled_reason": nil, "enabled": false, "liability": nil, "provider": nil, "status": nil,
            ],
            "automatically_finalizes_at": nil,
            "billing_reason": .text(i.billingReason),
            "collection_method": "charge_automatically",
            "created": .number(i.created),
            "currency": .text(i.currency),
            "custom_fields": nil,
            "customer": .text(i.customer),
            "customer_account": nil,
            "customer_address": nil,
            "customer_email": .text(i.customerEmail),
            "customer_name": "Sim Customer",
            "customer_phone": nil,
            "customer_shipping": nil,
            "customer_tax_exempt": "none",
            "customer_tax_ids": [],
            "default_payment_method": nil,
            "default_source": nil,
            "default_tax_rates": [],
            "description": nil,
            "discounts": [],
            "due_date": nil,
            "effective_at": .number(i.created),
            "ending_balance": 0,
            "footer": nil,
            "from_invoice": nil,
            "hosted_invoice_url": .string("https://invoice.stripe-sim.test/i/\(i.id)"),
            "invoice_pdf": .string("https://invoice.stripe-sim.test/i/\(i.id)/pdf"),
            "issuer": ["type": "self"],
            "last_finalization_error": nil,
            "latest_revision": nil,
            "lines": Self.wireList(lines, hasMore: false, url: "/v1/invoices/\(i.id)/lines"),
            "livemode": false,
            "metadata": [:],
            "next_payment_attempt": .number(i.nextPaymentAttempt),
            "number": .string("SIM-\(i.id.suffix(8).uppercased())"),
            "on_behalf_of": nil,
            "parent": [
                "quote_details": nil,
                "subscription_details": [
                    "metadata": .map(i.subscriptionMetadata), "subscription": .text(i.subscriptionID),
                ],
                "type": "subscription_details",
            ],
            "payment_settings": ["default_mandate": nil, "payment_method_options": nil, "payment_method_types": nil],
            "period_end": .number(i.periodEnd),
            "period_start": .number(i.periodStart),
            "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0,
            "receipt_number": nil,
            "rendering": nil,
            "shipping_cost": nil,
            "shipping_details": nil,
            "starting_balance": 0,
            "statement_descriptor": nil,
            "status": .text(i.status),
            "status_transitions": [
                "finalized_at": .number(i.created), "marked_uncollectible_at": nil,
                "paid_at": paid ? .number(i.created) : nil, "voided_at": nil,
            ],
            "subtotal": .number(i.subtotal),
            "subtotal_excluding_tax": .number(i.subtotal),
            "test_clock": nil,
            "total": .number(i.total),
            "total_discount_amounts": [],
            "total_excluding_tax": .number(i.total),
            "total_pretax_credit_amounts": [],
            "total_taxes": [],
            "webhooks_delivered_at": .number(i.created),
        ]
    }

    /// `customer`.
    func wire(customer c: SimulatorBilling.CustomerRecord) -> Wire {
        [
            "id": .text(c.id), "object": "customer",
            "address": nil,
            "balance": 0,
            "created": .number(c.created),
            "currency": nil,
            "default_source": nil,
            "delinquent": false,
            "description": nil,
            "discount": nil,
            "email": .text(c.email),
            "invoice_prefix": .string(String(c.id.suffix(8)).uppercased()),
            "invoice_settings": [
                "custom_fields": nil, "default_payment_method": nil, "footer": nil, "rendering_options": nil,
            ],
            "livemode": false,
            "metadata": [:],
            "name": .text(c.name),
            "next_invoice_sequence": 2,
            "phone": nil,
            "preferred_locales": [],
            "shipping": nil,
            "tax_exempt": "none",
            "test_clock": nil,
        ]
    }
}
