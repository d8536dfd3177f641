import Stripe

extension CheckoutTotalsParams {
    /// The domain's settings as Stripe parameters.
    init(_ settings: CheckoutTotalsSettings) {
        self.init(
            allowPromotionCodes: settings.allowPromotionCodes, automaticTax: settings.automaticTax,
            shippingCountries: settings.shippingCountries,
            shippingRates: settings.shippingRates.map { .init(name: $0.name, amount: $0.amount) },
            recovery: settings.recovery, promotionsConsent: settings.promotionsConsent)
    }
}

extension SessionTotals {
    /// The breakdown a Stripe session reports, or nil without an `amount_subtotal` (an open session, or
    /// an object from before totals were known).
    init?(_ session: CheckoutSession) {
        guard let subtotal = session.amountSubtotal else { return nil }
        let c = session.computed
        let details = c.totalDetails
        self.init(
            amountSubtotal: subtotal, amountDiscount: details?.amountDiscount ?? 0, amountTax: details?.amountTax ?? 0,
            amountShipping: details?.amountShipping ?? 0, promotionCode: c.promotionCode,
            customer: c.customerDetails.map {
                CheckoutCustomer(
                    name: $0.name, email: $0.email, phone: $0.phone, address: $0.address.map(PostalAddress.init))
            },
            shippingAddress: c.shippingDetails.map { details in
                var address = details.address.map(PostalAddress.init) ?? PostalAddress()
                address.name = details.name
                return address
            })
    }
}

extension PostalAddress {
    init(_ address: CheckoutSessionComputed.Address) {
        self.init(
            line1: address.line1, line2: address.line2, city: address.city, state: address.state,
            postalCode: address.postalCode, country: address.country)
    }
}

extension SessionRecovery {
    /// `after_expiration.recovery` when it carries a URL, with `consent.promotions`.
    init?(_ computed: CheckoutSessionComputed) {
        guard let recovery = computed.recovery, recovery.enabled != false, let url = recovery.url, !url.isEmpty else {
            return nil
        }
        self.init(url: url, expiresAt: recovery.expiresAt, promotionsConsent: computed.promotionsConsent)
    }
}
