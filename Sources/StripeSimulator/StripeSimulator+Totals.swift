import Foundation
import HTTPServer
import Stripe

// Totals computed by Checkout (promotion codes, automatic tax, shipping rates) and abandoned-cart
// recovery, simulated so the whole flow works offline. What Stripe does, in short
// (https://docs.stripe.com/payments/checkout/discounts, /taxes, /shipping, /abandoned-carts):
// - `allow_promotion_codes=true` lets the customer enter a code on the hosted page; the session's
//   `total_details.amount_discount` is what it took off, `discounts[]` names the promotion code.
// - `automatic_tax[enabled]=true` adds tax (`total_details.amount_tax`) for exclusive prices.
// - `shipping_options[][shipping_rate_data]` offers fixed-amount rates; the chosen one is
//   `shipping_cost` and `total_details.amount_shipping`; `shipping_address_collection` collects the
//   address into `collected_information.shipping_details`.
// - `amount_total = amount_subtotal − discount + tax + shipping`.
// - `after_expiration[recovery][enabled]=true`: the expired session carries `after_expiration.recovery.url`
//   (usable for 30 days); opening it makes a new session, a copy of the expired one, with `recovered_from`.
// The simulator's tax is one configurable rate on (subtotal − discount + shipping), rounded half up;
// Stripe's real tax depends on the address and product tax codes.

/// A promotion code the simulator accepts (`POST /_sim/promotion-codes`, `--promotion-code`).
public struct SimulatorPromotionCode: Codable, Sendable, Equatable {
    /// What the customer types (matched case-insensitively, as Stripe does).
    public var code: String
    /// 1–100 percent off the subtotal, or …
    public var percentOff: Int?
    /// … a fixed amount off (minor units, capped at the subtotal).
    public var amountOff: Int64?
    /// `promo_…`, assigned when defined.
    public var id: String?

    public init(code: String, percentOff: Int? = nil, amountOff: Int64? = nil) {
        self.code = code
        self.percentOff = percentOff
        self.amountOff = amountOff
    }

    /// Parses `CODE=10%` (percent off) or `CODE=500` (amount off), the `--promotion-code` syntax.
    public static func parse(_ text: String) -> SimulatorPromotionCode? {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else { return nil }
        if parts[1].hasSuffix("%"), let p = Int(parts[1].dropLast()) {
            return SimulatorPromotionCode(code: parts[0], percentOff: p)
        }
        guard let amount = Int64(parts[1]) else { return nil }
        return SimulatorPromotionCode(code: parts[0], amountOff: amount)
    }
}

/// What the customer chose on the hosted page (or a test through `POST /_sim/sessions/:id/pay`).
public struct SimulatorCheckoutInput: Codable, Sendable, Equatable {
    public var email: String?
    /// The customer's name (`customer_details.name`).
    public var name: String?
    public var promotionCode: String?
    /// A shipping option: its index (`"0"`), its `shr_…` id or its display name; default the first.
    public var shippingRate: String?
    /// The shipping address; default a simulated one in the first allowed country.
    public var shipping: SimulatorAddress?
    /// `opt_in` / `opt_out` when the session collects promotions consent.
    public var promotionsConsent: String?

    public init(
        email: String? = nil, name: String? = nil, promotionCode: String? = nil, shippingRate: String? = nil,
        shipping: SimulatorAddress? = nil, promotionsConsent: String? = nil
    ) {
        self.email = email
        self.name = name
        self.promotionCode = promotionCode
        self.shippingRate = shippingRate
        self.shipping = shipping
        self.promotionsConsent = promotionsConsent
    }
}

/// A postal address with a recipient name.
public struct SimulatorAddress: Codable, Sendable, Equatable {
    public var name: String?
    public var line1: String?
    public var line2: String?
    public var city: String?
    public var state: String?
    public var postalCode: String?
    public var country: String?

    public init(
        name: String? = nil, line1: String? = nil, line2: String? = nil, city: String? = nil, state: String? = nil,
        postalCode: String? = nil, country: String? = nil
    ) {
        self.name = name
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.state = state
        self.postalCode = postalCode
        self.country = country
    }

    var wire: Wire {
        [
            "city": .text(city), "country": .text(country), "line1": .text(line1), "line2": .text(line2),
            "postal_code": .text(postalCode), "state": .text(state),
        ]
    }
}

/// The simulator's pricing rules: promotion codes and one tax rate (survive `reset`, like the webhook).
struct SimPricing {
    var promotionCodes: [String: SimulatorPromotionCode] = [:]
    /// Tax rate in basis points (825 = 8.25 %), applied when a session has automatic tax.
    var taxRateBasisPoints: Int = 0
}

/// The validated totals and recovery parameters of a session create.
struct SessionTotalsOptions: Sendable, Equatable {
    struct ShippingRate: Sendable, Equatable {
        var id: String
        var name: String
        var amount: Int64
    }

    var allowPromotionCodes = false
    var automaticTax = false
    var allowedCountries: [String] = []
    var shippingRates: [ShippingRate] = []
    var recovery = false
    var recoveryAllowsPromotionCodes = false
    var promotionsConsent = false

    static let shippingRateDataKeys: Set<String> = ["type", "display_name", "fixed_amount", "tax_behavior", "metadata"]

    /// Validates `automatic_tax`, `shipping_address_collection`, `shipping_options`, `after_expiration`,
    /// `consent_collection` and each line's `price_data[tax_behavior]`, Stripe's way.
    static func validate(_ p: [String: FormValue], currency: String) throws(StripeAPIError) -> SessionTotalsOptions {
        typealias R = SessionCreateRequest
        var o = SessionTotalsOptions()
        o.allowPromotionCodes = p["allow_promotion_codes"]?.stringValue == "true"
        if let tax = p["automatic_tax"] {
            guard let d = tax.dictionaryValue else { throw R.invalid("automatic_tax", "Invalid hash") }
            try R.unknownKeys(d, allowed: ["enabled", "liability"], prefix: "automatic_tax")
            guard let enabled = try R.string(d["enabled"], param: "automatic_tax[enabled]") else {
                throw R.missing("automatic_tax[enabled]")
            }
            o.automaticTax = try bool(enabled, param: "automatic_tax[enabled]")
        }
        if case .array(let lines)? = p["line_items"] {
            for (i, line) in lines.enumerated() {
                guard let behavior = line["price_data"]?["tax_behavior"] else { continue }
                let param = "line_items[\(i)][price_data][tax_behavior]"
                let value = try R.string(behavior, param: param)
                guard let value, ["exclusive", "inclusive", "unspecified"].contains(value) else {
                    throw R.invalid(param, "Invalid \(param): must be one of exclusive, inclusive, or unspecified")
                }
                if value == "inclusive" {
                    throw R.invalid(param, "stripe-sim computes exclusive tax only; send tax_behavior=exclusive.")
                }
            }
        }
        if let collection = p["shipping_address_collection"] {
            guard let d = collection.dictionaryValue else {
                throw R.invalid("shipping_address_collection", "Invalid hash")
            }
            try R.unknownKeys(d, allowed: ["allowed_countries"], prefix: "shipping_address_collection")
            guard let list = d["allowed_countries"]?.arrayValue, !list.isEmpty else {
                throw R.missing("shipping_address_collection[allowed_countries]")
            }
            for (i, value) in list.enumerated() {
                let param = "shipping_address_collection[allowed_countries][\(i)]"
                guard let code = try R.string(value, param: param), code.count == 2,
                    code.allSatisfy({ $0.isASCII && $0.isUppercase })
                else {
                    throw R.invalid(param, "Invalid \(param): must be a two-letter country code")
                }
                o.allowedCountries.append(code)
            }
        }
        if let options = p["shipping_options"] {
            guard let list = options.arrayValue else { throw R.invalid("shipping_options", "Invalid array") }
            guard list.count <= 5 else {
                throw R.invalid("shipping_options", "You may only specify up to 5 shipping options.")
            }
            for (i, option) in list.enumerated() {
                let base = "shipping_options[\(i)]"
                guard let d = option.dictionaryValue else { throw R.invalid(base, "Invalid hash") }
                try R.unknownKeys(d, allowed: ["shipping_rate", "shipping_rate_data"], prefix: base)
                if d["shipping_rate"] != nil {
                    throw StripeAPIError(
                        status: 400, type: "invalid_request_error", code: "resource_missing",
                        param: "\(base)[shipping_rate]",
                        message:
                            "No such shipping rate (stripe-sim has no ShippingRate objects: use shipping_rate_data)")
                }
                guard let data = d["shipping_rate_data"]?.dictionaryValue else {
                    throw R.missing("\(base)[shipping_rate_data]")
                }
                let dataParam = "\(base)[shipping_rate_data]"
                try R.unknownKeys(data, allowed: shippingRateDataKeys, prefix: dataParam)
                guard let name = try R.string(data["display_name"], param: "\(dataParam)[display_name]"), !name.isEmpty
                else { throw R.missing("\(dataParam)[display_name]") }
                if let type = try R.string(data["type"], param: "\(dataParam)[type]"), type != "fixed_amount" {
                    throw R.invalid("\(dataParam)[type]", "Invalid \(dataParam)[type]: must be fixed_amount")
                }
                guard let fixed = data["fixed_amount"]?.dictionaryValue else {
                    throw R.missing("\(dataParam)[fixed_amount]")
                }
                try R.unknownKeys(fixed, allowed: ["amount", "currency"], prefix: "\(dataParam)[fixed_amount]")
                guard let amount = try R.integer(fixed["amount"], param: "\(dataParam)[fixed_amount][amount]") else {
                    throw R.missing("\(dataParam)[fixed_amount][amount]")
                }
                guard amount >= 0 else {
                    throw R.invalid(
                        "\(dataParam)[fixed_amount][amount]", "This value must be greater than or equal to 0.",
                        code: "parameter_invalid_integer")
                }
                let rateCurrency = try R.string(fixed["currency"], param: "\(dataParam)[fixed_amount][currency]")
                guard let rateCurrency else { throw R.missing("\(dataParam)[fixed_amount][currency]") }
                guard rateCurrency.lowercased() == currency else {
                    throw R.invalid(
                        "\(dataParam)[fixed_amount][currency]",
                        "The shipping rate's currency (\(rateCurrency)) must match the session's (\(currency)).")
                }
                if let behavior = try R.string(data["tax_behavior"], param: "\(dataParam)[tax_behavior]"),
                    !["exclusive", "inclusive", "unspecified"].contains(behavior)
                {
                    throw R.invalid("\(dataParam)[tax_behavior]", "Invalid \(dataParam)[tax_behavior]")
                }
                o.shippingRates.append(
                    ShippingRate(id: StripeID.make("shr_test_", length: 24), name: name, amount: amount))
            }
        }
        if let after = p["after_expiration"] {
            guard let d = after.dictionaryValue else { throw R.invalid("after_expiration", "Invalid hash") }
            try R.unknownKeys(d, allowed: ["recovery"], prefix: "after_expiration")
            guard let recovery = d["recovery"]?.dictionaryValue else {
                throw R.missing("after_expiration[recovery]")
            }
            try R.unknownKeys(
                recovery, allowed: ["enabled", "allow_promotion_codes"], prefix: "after_expiration[recovery]")
            guard let enabled = try R.string(recovery["enabled"], param: "after_expiration[recovery][enabled]") else {
                throw R.missing("after_expiration[recovery][enabled]")
            }
            o.recovery = try bool(enabled, param: "after_expiration[recovery][enabled]")
            let promo = try R.string(
                recovery["allow_promotion_codes"], param: "after_expiration[recovery][allow_promotion_codes]")
            o.recoveryAllowsPromotionCodes =
                try promo.map { v throws(StripeAPIError) in
                    try bool(v, param: "after_expiration[recovery][allow_promotion_codes]")
                } ?? false
        }
        if let consent = p["consent_collection"] {
            guard let d = consent.dictionaryValue else { throw R.invalid("consent_collection", "Invalid hash") }
            try R.unknownKeys(d, allowed: ["promotions", "terms_of_service"], prefix: "consent_collection")
            if let promotions = try R.string(d["promotions"], param: "consent_collection[promotions]") {
                guard ["auto", "none"].contains(promotions) else {
                    throw R.invalid(
                        "consent_collection[promotions]", "Invalid consent_collection[promotions]: must be auto or none"
                    )
                }
                o.promotionsConsent = promotions == "auto"
            }
            if let tos = try R.string(d["terms_of_service"], param: "consent_collection[terms_of_service]"),
                tos != "none"
            {
                throw R.invalid(
                    "consent_collection[terms_of_service]", "stripe-sim supports terms_of_service=none only")
            }
        }
        return o
    }

    static func bool(_ value: String, param: String) throws(StripeAPIError) -> Bool {
        switch value {
        case "true": return true
        case "false": return false
        default: throw SessionCreateRequest.invalid(param, "Invalid boolean: \(value)")
        }
    }
}

/// What the simulator keeps about a session's computed totals and recovery.
struct SessionTotalsRecord: Sendable, Equatable {
    var options = SessionTotalsOptions()
    var promotion: SimulatorPromotionCode?
    var couponID: String?
    var discount: Int64 = 0
    var tax: Int64 = 0
    var shipping: Int64 = 0
    var shippingRateID: String?
    var shippingAddress: SimulatorAddress?
    var customerName: String?
    /// `opt_in` / `opt_out`, once the customer answered.
    var promotionsConsent: String?
    var recoveryURL: String?
    var recoveryExpiresAt: Int64?
    /// The session made from this one's recovery link.
    var recoveredTo: String?
    var recoveredFrom: String?
}

extension StripeSimulator {
    // MARK: - Control API

    /// Defines (or replaces) a promotion code; returns it with its `promo_…` id.
    @discardableResult
    public func definePromotionCode(_ promotion: SimulatorPromotionCode) throws(StripeAPIError)
        -> SimulatorPromotionCode
    {
        let percentOK = promotion.percentOff.map { (1...100).contains($0) } ?? true
        let amountOK = promotion.amountOff.map { $0 >= 1 } ?? true
        guard !promotion.code.isEmpty, promotion.code.count <= 500,
            (promotion.percentOff == nil) != (promotion.amountOff == nil),
            percentOK, amountOK
        else {
            throw Self.controlError(
                400, "invalid_promotion_code",
                "A promotion code needs a code and exactly one of percentOff (1-100) or amountOff (≥ 1).")
        }
        return state.withLock { s in
            var p = promotion
            p.id = s.pricing.promotionCodes[promotion.code.uppercased()]?.id ?? StripeID.make("promo_test_", length: 24)
            s.pricing.promotionCodes[promotion.code.uppercased()] = p
            return p
        }
    }

    /// Sets the tax rate applied to sessions with automatic tax, in basis points (825 = 8.25 %).
    public func setTaxRate(basisPoints: Int) throws(StripeAPIError) {
        guard (0...10_000).contains(basisPoints) else {
            throw Self.controlError(400, "invalid_tax_rate", "The tax rate must be 0-10000 basis points.")
        }
        state.withLock { $0.pricing.taxRateBasisPoints = basisPoints }
    }

    /// Records the customer's answer to the promotions consent checkbox of an open session.
    public func setPromotionsConsent(sessionID id: String, _ consent: String) throws(StripeAPIError)
        -> SimulatorActionResult
    {
        guard ["opt_in", "opt_out"].contains(consent) else {
            throw Self.controlError(400, "invalid_consent", "promotions must be opt_in or opt_out.")
        }
        return try control { (s: inout SimulatorState) throws(StripeAPIError) in
            guard var r = s.sessions[id] else { throw Self.noSuchSession(id) }
            guard r.totals.options.promotionsConsent else {
                throw Self.controlError(
                    409, "consent_not_collected", "Session \(id) does not collect promotions consent.")
            }
            guard r.session.status == .open else {
                throw Self.controlError(409, "session_not_open", "Session \(id) is not open.")
            }
            r.totals.promotionsConsent = consent
            s.sessions[id] = r
            return SimulatorActionResult(session: r.session, events: [])
        }
    }

    /// Opens the recovery link of an expired session: a new open session, a copy of it, with
    /// `recovered_from` (the same one again while it is still open).
    public func recover(sessionID id: String) throws(StripeAPIError) -> SimulatorActionResult {
        try control { (s: inout SimulatorState) throws(StripeAPIError) in
            let record = try recoveredSession(&s, from: id)
            return SimulatorActionResult(session: record.session, events: [])
        }
    }

    // MARK: - Session lifecycle hooks

    /// Applies what the customer chose to an open session: promotion code, shipping rate and address,
    /// then the tax; sets `amount_subtotal`/`amount_total`. Throws Stripe-style 400s for a code the
    /// session does not accept, an unknown rate or a country outside the allowed ones.
    func applyCheckout(_ r: inout SimulatorState.SessionRecord, _ input: SimulatorCheckoutInput, _ s: SimulatorState)
        throws(StripeAPIError)
    {
        var t = r.totals
        let subtotal = r.lineItems.reduce(Int64(0)) { $0 + $1.unitAmount * $1.quantity }
        t.promotion = nil
        t.discount = 0
        if let code = input.promotionCode?.trimmingCharacters(in: .whitespaces), !code.isEmpty {
            guard t.options.allowPromotionCodes else {
                throw SessionCreateRequest.invalid(
                    "promotion_code", "This Checkout Session does not accept promotion codes.")
            }
            guard let promotion = s.pricing.promotionCodes[code.uppercased()] else {
                throw SessionCreateRequest.invalid(
                    "promotion_code", "This code is invalid.", code: "promotion_code_invalid")
            }
            t.promotion = promotion
            t.couponID = t.couponID ?? StripeID.make("co_test_", length: 14)
            if let percent = promotion.percentOff {
                t.discount = (subtotal * Int64(percent) + 50) / 100
            } else {
                t.discount = min(promotion.amountOff ?? 0, subtotal)
            }
        }
        t.shipping = 0
        t.shippingRateID = nil
        if !t.options.shippingRates.isEmpty {
            let choice = input.shippingRate ?? "0"
            let rate =
                Int(choice).flatMap { t.options.shippingRates.indices.contains($0) ? t.options.shippingRates[$0] : nil }
                ?? t.options.shippingRates.first { $0.id == choice || $0.name == choice }
            guard let rate else {
                throw SessionCreateRequest.invalid("shipping_rate", "No such shipping option: \(choice)")
            }
            t.shipping = rate.amount
            t.shippingRateID = rate.id
        }
        t.shippingAddress = nil
        if let first = t.options.allowedCountries.first {
            var address =
                input.shipping
                ?? SimulatorAddress(
                    name: input.name ?? "Sim Customer", line1: "1 Simulator Way", city: "Springfield", state: nil,
                    postalCode: "12345", country: first)
            address.country = address.country?.uppercased() ?? first
            guard let country = address.country, t.options.allowedCountries.contains(country) else {
                throw SessionCreateRequest.invalid(
                    "shipping_address", "Shipping to \(address.country ?? "?") is not available for this session.")
            }
            address.name = address.name ?? input.name ?? "Sim Customer"
            t.shippingAddress = address
        }
        let taxable = subtotal - t.discount + t.shipping
        t.tax = t.options.automaticTax ? (taxable * Int64(s.pricing.taxRateBasisPoints) + 5000) / 10_000 : 0
        if let name = input.name { t.customerName = name }
        if let consent = input.promotionsConsent, t.options.promotionsConsent,
            ["opt_in", "opt_out"].contains(consent)
        {
            t.promotionsConsent = consent
        }
        r.totals = t
        r.session.amountSubtotal = subtotal
        r.session.amountTotal = taxable + t.tax
    }

    /// On expiry: the recovery link, when the session asked for one (valid 30 days).
    func startRecovery(_ r: inout SimulatorState.SessionRecord, _ s: inout SimulatorState) {
        guard r.totals.options.recovery, r.totals.recoveryURL == nil else { return }
        let token = StripeID.make("rcv_", length: 40)
        r.totals.recoveryURL = "\(publicBase)/recover/\(token)"
        r.totals.recoveryExpiresAt = now(s) + 30 * 86_400
        s.recoveryLinks[token] = r.session.id
    }

    /// The session a recovery link opens: the open copy made before, or a new copy.
    func recoveredSession(_ s: inout SimulatorState, from id: String) throws(StripeAPIError)
        -> SimulatorState.SessionRecord
    {
        guard var original = s.sessions[id] else { throw Self.noSuchSession(id) }
        guard original.session.status == .expired, original.totals.recoveryURL != nil,
            let expiresAt = original.totals.recoveryExpiresAt
        else {
            throw Self.controlError(409, "not_recoverable", "Session \(id) has no recovery link.")
        }
        guard now(s) < expiresAt else {
            throw Self.controlError(410, "recovery_expired", "The recovery link of session \(id) has expired.")
        }
        if let copyID = original.totals.recoveredTo, let copy = s.sessions[copyID], copy.session.status == .open {
            return copy
        }
        let newID = StripeID.make("cs_test_b1", length: 56)
        let created = now(s)
        var session = original.session
        session.id = newID
        session.url = "\(publicBase)/pay/\(newID)"
        session.status = .open
        session.paymentStatus = .unpaid
        session.paymentIntent = nil
        session.created = created
        session.expiresAt = created + 86_400
        session.customerEmail = original.requestedEmail
        session.amountSubtotal = original.lineItems.reduce(Int64(0)) { $0 + $1.unitAmount * $1.quantity }
        session.amountTotal = session.amountSubtotal
        var totals = SessionTotalsRecord(options: original.totals.options)
        totals.options.allowPromotionCodes = original.totals.options.recoveryAllowsPromotionCodes
        totals.recoveredFrom = id
        var echoed = original.echoed
        echoed["allow_promotion_codes"] = nil
        var record = SimulatorState.SessionRecord(
            session: session, lineItems: original.lineItems, paymentIntentMetadata: original.paymentIntentMetadata,
            requestedEmail: original.requestedEmail,
            storedLineItems: original.storedLineItems.map {
                var item = $0
                item.id = StripeID.make("li_test_", length: 24)
                return item
            }, echoed: echoed, totals: totals)
        record.subscriptionMetadata = original.subscriptionMetadata
        s.sessions[newID] = record
        s.sessionOrder.append(newID)
        s.earliestOpenExpiry = min(s.earliestOpenExpiry ?? created + 86_400, created + 86_400)
        original.totals.recoveredTo = newID
        s.sessions[id] = original
        return record
    }

    // MARK: - Wire

    /// The session's totals, shipping, consent and recovery fields over `base` (its plain rendering).
    func wireTotals(_ record: SimulatorState.SessionRecord, over base: Wire) -> Wire {
        let t = record.totals
        let o = t.options
        let complete = record.session.status == .complete
        var out = base
        if o.allowPromotionCodes { out = out.setting("allow_promotion_codes", true) }
        if o.automaticTax {
            out = out.setting(
                "automatic_tax",
                [
                    "enabled": true, "liability": ["type": "self"], "provider": "stripe",
                    "status": complete ? "complete" : "requires_location_inputs",
                ])
        }
        if !o.allowedCountries.isEmpty {
            out = out.setting(
                "shipping_address_collection", ["allowed_countries": .array(o.allowedCountries.map { .string($0) })])
        }
        if !o.shippingRates.isEmpty {
            out = out.setting(
                "shipping_options",
                .array(o.shippingRates.map { ["shipping_amount": .int($0.amount), "shipping_rate": .string($0.id)] }))
        }
        if let rateID = t.shippingRateID, complete {
            out = out.setting(
                "shipping_cost",
                [
                    "amount_subtotal": .int(t.shipping), "amount_tax": 0, "amount_total": .int(t.shipping),
                    "shipping_rate": .string(rateID),
                ])
        }
        out = out.setting(
            "total_details",
            ["amount_discount": .int(t.discount), "amount_shipping": .int(t.shipping), "amount_tax": .int(t.tax)])
        if let promotion = t.promotion {
            out = out.setting(
                "discounts", [["coupon": .text(t.couponID), "promotion_code": .text(promotion.id)]])
        }
        if complete {
            var shippingDetails: Wire = nil
            if let a = t.shippingAddress {
                shippingDetails = ["address": a.wire, "name": .text(a.name)]
            }
            out = out.setting(
                "collected_information",
                ["business_name": nil, "individual_name": nil, "shipping_details": shippingDetails])
            if let name = t.customerName, case .object(var details)? = out["customer_details"] {
                details["name"] = .string(name)
                out = out.setting("customer_details", .object(details))
            }
        }
        if o.recovery {
            out = out.setting(
                "after_expiration",
                [
                    "recovery": [
                        "allow_promotion_codes": .bool(o.recoveryAllowsPromotionCodes), "enabled": true,
                        "expires_at": .number(t.recoveryExpiresAt), "url": .text(t.recoveryURL),
                    ]
                ])
        }
        if o.promotionsConsent {
            out = out.setting(
                "consent_collection",
                ["payment_method_reuse_agreement": nil, "promotions": "auto", "terms_of_service": "none"])
            if let consent = t.promotionsConsent {
                out = out.setting("consent", ["promotions": .string(consent), "terms_of_service": nil])
            }
        }
        if let from = t.recoveredFrom { out = out.setting("recovered_from", .string(from)) }
        return out
    }

    // MARK: - HTTP

    /// The control routes and the recovery link's page.
    func totalsRoutes(_ r: Router) {
        r.post("/_sim/promotion-codes") { [self] req in
            let p = try req.decodeJSON(SimulatorPromotionCode.self)
            do throws(StripeAPIError) {
                return http(.json(try definePromotionCode(p)))
            } catch {
                return http(.stripeError(error))
            }
        }
        struct TaxBody: Decodable {
            var basisPoints: Int?
            var percent: Double?
        }
        r.put("/_sim/tax-rate") { [self] req in
            let b = try req.decodeJSON(TaxBody.self)
            let bp = b.basisPoints ?? b.percent.map { Int(($0 * 100).rounded()) } ?? -1
            do throws(StripeAPIError) {
                try setTaxRate(basisPoints: bp)
                return .json(["ok": true])
            } catch {
                return http(.stripeError(error))
            }
        }
        struct ConsentBody: Decodable { var promotions: String }
        r.post("/_sim/sessions/:id/consent") { [self] req in
            let b = try req.decodeJSON(ConsentBody.self)
            do throws(StripeAPIError) {
                return http(
                    .json(try setPromotionsConsent(sessionID: req.pathParameters["id"] ?? "", b.promotions)))
            } catch {
                return http(.stripeError(error))
            }
        }
        r.post("/_sim/sessions/:id/recover") { [self] req in
            do throws(StripeAPIError) {
                return http(.json(try recover(sessionID: req.pathParameters["id"] ?? "")))
            } catch {
                return http(.stripeError(error))
            }
        }
        r.get("/recover/:token") { [self] req in
            let token = req.pathParameters["token"] ?? ""
            let result = state.withLock { s -> Result<SimulatorState.SessionRecord, StripeAPIError> in
                guard let id = s.recoveryLinks[token] else {
                    return .failure(Self.controlError(404, "no_such_recovery", "No such recovery link."))
                }
                do throws(StripeAPIError) {
                    return .success(try recoveredSession(&s, from: id))
                } catch {
                    return .failure(error)
                }
            }
            switch result {
            case .success(let record): return http(.redirect(record.session.url ?? "/"))
            case .failure(let error):
                return http(.html(HostedPage.notFound(error.message ?? "recovery"), status: error.status))
            }
        }
    }

    /// The hosted page's Pay form as the customer filled it in.
    static func checkoutInput(form body: [UInt8]) -> SimulatorCheckoutInput {
        guard let form = try? FormDecoder.decode(body) else { return SimulatorCheckoutInput() }
        func value(_ key: String) -> String? {
            guard let v = form[key]?.stringValue?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        var input = SimulatorCheckoutInput(
            email: value("email"), name: value("name"), promotionCode: value("promotion_code"),
            shippingRate: value("shipping_rate"))
        if value("country") != nil || value("line1") != nil {
            input.shipping = SimulatorAddress(
                name: value("name"), line1: value("line1"), city: value("city"), postalCode: value("postal_code"),
                country: value("country"))
        }
        if form["promotions_consent"] != nil { input.promotionsConsent = "opt_in" }
        return input
    }
}

extension HostedPage {
    /// The inputs the Pay form adds for a session that takes a promotion code, ships or asks consent.
    static func checkoutFields(_ record: SimulatorState.SessionRecord) -> String {
        let o = record.totals.options
        var html = ""
        if !o.allowedCountries.isEmpty {
            html += "<fieldset><legend>Shipping address</legend>"
            html += "<label>Name <input name=name id=ship-name value=\"Sim Customer\"></label> "
            html += "<label>Address <input name=line1 id=ship-line1 value=\"1 Simulator Way\"></label> "
            html += "<label>City <input name=city id=ship-city value=\"Springfield\"></label> "
            html += "<label>Postal code <input name=postal_code id=ship-postal value=\"12345\"></label> "
            html += "<label>Country <select name=country id=ship-country>"
            for c in o.allowedCountries { html += "<option>\(escape(c))</option>" }
            html += "</select></label></fieldset>\n"
        }
        if !o.shippingRates.isEmpty {
            html += "<fieldset><legend>Shipping</legend>"
            for (i, rate) in o.shippingRates.enumerated() {
                let currency = record.session.currency ?? "usd"
                html += "<label><input type=radio name=shipping_rate value=\(i)\(i == 0 ? " checked" : "")> "
                html += "\(escape(rate.name)) (\(escape(money(rate.amount, currency))))</label> "
            }
            html += "</fieldset>\n"
        }
        if o.allowPromotionCodes {
            html += "<label>Promotion code <input name=promotion_code id=promotion-code></label>\n"
        }
        if o.promotionsConsent {
            html += "<label><input type=checkbox name=promotions_consent id=promotions-consent> "
            html += "Send me offers by e-mail</label>\n"
        }
        if o.automaticTax { html += "<p class=sim>Tax is added when you pay.</p>\n" }
        return html
    }

    /// Table rows for the discount, shipping and tax of a completed session.
    static func totalsRows(_ record: SimulatorState.SessionRecord) -> String {
        let t = record.totals
        let currency = record.session.currency ?? "usd"
        var rows = ""
        if t.discount > 0 {
            rows += "<tr><td colspan=3>Discount (\(escape(t.promotion?.code ?? "")))</td>"
            rows += "<td class=n id=discount>-\(escape(money(t.discount, currency)))</td></tr>\n"
        }
        if t.shippingRateID != nil {
            rows +=
                "<tr><td colspan=3>Shipping</td><td class=n id=shipping>\(escape(money(t.shipping, currency)))</td></tr>\n"
        }
        if t.options.automaticTax, record.session.status == .complete {
            rows += "<tr><td colspan=3>Tax</td><td class=n id=tax>\(escape(money(t.tax, currency)))</td></tr>\n"
        }
        return rows
    }
}
