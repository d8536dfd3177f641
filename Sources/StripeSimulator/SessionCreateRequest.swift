import Stripe

/// A validated `POST /v1/checkout/sessions` body: what the simulator needs to build a session.
///
/// `validate` is pure (parameters + clock in, request or Stripe-shaped error out) and checks what Stripe
/// checks for the parameters this project sends: required params, integer formats, supported currencies
/// and their minimum/maximum/rounding rules (`StripeCurrency`), the line item and metadata limits, URL
/// shapes and the `expires_at` window. Unknown parameters are rejected with `parameter_unknown`, as Stripe
/// does, so a typo in a client shows up in tests.
///
/// Error `code`s are only ones Stripe documents (https://docs.stripe.com/error-codes); where Stripe answers a
/// refusal with no code (an unsupported currency, an invalid enum value, a malformed hash), so does this.
struct SessionCreateRequest: Sendable, Equatable {
    struct LineItem: Sendable, Equatable, Codable {
        var name: String
        var unitAmount: Int64
        var currency: String
        var quantity: Int64
        /// `price_data[recurring]` (subscription mode).
        var recurring: Recurring? = nil
    }

    var mode: String
    var lineItems: [LineItem]
    var successURL: String
    var cancelURL: String?
    var clientReferenceID: String?
    var metadata: [String: String]
    var paymentIntentMetadata: [String: String]
    var customerEmail: String?
    var expiresAt: Int64
    var currency: String
    var amountTotal: Int64
    /// Session fields that echo a parameter as given (`locale`, `submit_type`, …), in wire form.
    var echoed: [String: Wire] = [:]
    /// `subscription_data[metadata]` (subscription mode).
    var subscriptionMetadata: [String: String] = [:]

    /// Parameters that only choose among fixed values, with the values Stripe accepts for the pinned
    /// version (https://docs.stripe.com/api/checkout/sessions/create). stripe-sim renders one hosted page
    /// for cards, so `ui_mode` and `payment_method_types` accept only what it can show.
    static let choices: [String: [String]] = [
        "locale": [
            "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "hr",
            "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk",
            "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
        ],
        "submit_type": ["auto", "book", "donate", "pay", "subscribe"],
        "billing_address_collection": ["auto", "required"],
        "ui_mode": ["hosted_page"],
        "allow_promotion_codes": ["true", "false"],
    ]

    static let topLevelKeys: Set<String> = [
        "mode", "line_items", "success_url", "cancel_url", "client_reference_id", "metadata",
        "payment_intent_data", "customer_email", "expires_at", "payment_method_types", "expand", "locale",
        "submit_type", "ui_mode", "allow_promotion_codes", "billing_address_collection", "subscription_data",
    ]
    static let lineItemKeys: Set<String> = ["price_data", "quantity", "price"]
    static let priceDataKeys: Set<String> = [
        "currency", "unit_amount", "product_data", "unit_amount_decimal", "recurring",
    ]
    static let productDataKeys: Set<String> = ["name", "description", "images", "metadata"]
    static let paymentIntentDataKeys: Set<String> = ["metadata", "description", "receipt_email", "capture_method"]

    static func missing(_ param: String) -> StripeAPIError {
        StripeAPIError(
            status: 400, type: "invalid_request_error", code: "parameter_missing", param: param,
            message: "Missing required param: \(param).")
    }

    static func invalid(_ param: String?, _ message: String, code: String? = nil) -> StripeAPIError {
        StripeAPIError(status: 400, type: "invalid_request_error", code: code, param: param, message: message)
    }

    static func integer(_ value: FormValue?, param: String) throws(StripeAPIError) -> Int64? {
        guard let value else { return nil }
        guard let s = value.stringValue, let i = Int64(s), s.utf8.allSatisfy({ $0 == 45 || ($0 >= 48 && $0 <= 57) })
        else {
            throw invalid(
                param, "Invalid integer: \(value.stringValue ?? "(object)")", code: "parameter_invalid_integer")
        }
        return i
    }

    static func string(_ value: FormValue?, param: String) throws(StripeAPIError) -> String? {
        guard let value else { return nil }
        guard let s = value.stringValue else {
            throw invalid(param, "Invalid string: expected a string, got an object or list.")
        }
        return s
    }

    static func unknownKeys(_ dict: [String: FormValue], allowed: Set<String>, prefix: String?) throws(StripeAPIError) {
        for key in dict.keys.sorted() where !allowed.contains(key) {
            let param = prefix.map { "\($0)[\(key)]" } ?? key
            throw invalid(param, "Received unknown parameter: \(param)", code: "parameter_unknown")
        }
    }

    static func url(_ value: FormValue?, param: String) throws(StripeAPIError) -> String? {
        guard let s = try string(value, param: param) else { return nil }
        let lower = s.lowercased()
        guard (lower.hasPrefix("http://") || lower.hasPrefix("https://")), s.count > 8, s.count <= 5000,
            !s.contains(" ")
        else {
            throw invalid(param, "Not a valid URL", code: "url_invalid")
        }
        return s
    }

    /// Stripe's metadata rules: ≤ 50 keys, key ≤ 40 characters without brackets, value ≤ 500 characters.
    static func metadata(_ value: FormValue?, param: String) throws(StripeAPIError) -> [String: String] {
        guard let value else { return [:] }
        if value.stringValue == "" { return [:] }  // `metadata=` clears
        guard let dict = value.dictionaryValue else {
            throw invalid(param, "Invalid hash")
        }
        if dict.count > 50 {
            throw invalid(
                param, "Invalid \(param): Metadata can have up to 50 keys, but you passed in \(dict.count) keys.")
        }
        var out: [String: String] = [:]
        for (k, v) in dict {
            guard let s = v.stringValue else {
                throw invalid(
                    "\(param)[\(k)]",
                    "Invalid \(param): metadata values must be strings, and keys cannot contain `[` or `]`.")
            }
            if k.count > 40 {
                throw invalid("\(param)[\(k)]", "Invalid \(param): Metadata keys can be up to 40 characters long.")
            }
            if k.contains("[") || k.contains("]") {
                throw invalid("\(param)[\(k)]", "Invalid \(param): Metadata keys cannot contain `[` or `]`.")
            }
            if s.count > 500 {
                throw invalid("\(param)[\(k)]", "Invalid \(param): Metadata values can be up to 500 characters long.")
            }
            out[k] = s
        }
        return out
    }

    /// Stripe's answer to a session total it will not charge (codes from `StripeCurrency.AmountRefusal`).
    static func totalRefused(_ refusal: StripeCurrency.AmountRefusal, _ c: StripeCurrency) -> StripeAPIError {
        let code = refusal.stripeCode(for: c)
        let message: String
        switch refusal {
        case .tooSmall(let minimum):
            message =
                "The Checkout Session's total amount due must add up to at least \(c.formatted(minimum)) \(c.code)."
        case .tooLarge(let maximum):
            message = "The Checkout Session's total amount due must be no more than \(c.formatted(maximum)) \(c.code)."
        case .notAMultiple(let step) where c.exponent == 3:
            message =
                "Invalid amount. Amounts in \(c.code.uppercased()) must be rounded to the nearest ten (a multiple of \(step)). See https://stripe.com/docs/currencies#three-decimal for more information."
        case .notAMultiple(let step):
            message =
                "Invalid amount. Currency \(c.code.uppercased()) has become effectively zero-decimal and charged amounts must be evenly divisible by \(step). See https://stripe.com/docs/currencies#special-cases for more information."
        }
        return StripeAPIError(status: 400, type: "invalid_request_error", code: code, message: message)
    }

    /// Validates Stripe's way; `now` is unix seconds.
    static func validate(_ p: [String: FormValue], now: Int64) throws(StripeAPIError) -> SessionCreateRequest {
        try unknownKeys(p, allowed: topLevelKeys, prefix: nil)
        guard let mode = try string(p["mode"], param: "mode") else { throw missing("mode") }
        guard ["payment", "setup", "subscription"].contains(mode) else {
            throw invalid("mode", "Invalid mode: must be one of payment, setup, or subscription")
        }
        guard mode == "payment" || mode == "subscription" else {
            throw invalid("mode", "stripe-sim supports mode=payment and mode=subscription only")
        }
        guard let lineItemsValue = p["line_items"] else { throw missing("line_items") }
        guard let rawItems = lineItemsValue.arrayValue else {
            throw invalid("line_items", "Invalid array")
        }
        if rawItems.count > 100 {
            throw invalid("line_items", "You may only specify up to 100 line items in payment mode.")
        }
        var items: [LineItem] = []
        for (i, raw) in rawItems.enumerated() {
            let base = "line_items[\(i)]"
            guard let item = raw.dictionaryValue else { throw invalid(base, "Invalid hash") }
            try unknownKeys(item, allowed: lineItemKeys, prefix: base)
            if item["price"] != nil {
                throw StripeAPIError(
                    status: 400, type: "invalid_request_error", code: "resource_missing", param: "\(base)[price]",
                    message:
                        "No such price: '\(item["price"]?.stringValue ?? "")' (stripe-sim has no Price objects: use \(base)[price_data])"
                )
            }
            guard let priceValue = item["price_data"] else { throw missing("\(base)[price_data]") }
            guard let price = priceValue.dictionaryValue else { throw invalid("\(base)[price_data]", "Invalid hash") }
            try unknownKeys(price, allowed: priceDataKeys, prefix: "\(base)[price_data]")
            guard let currencyRaw = try string(price["currency"], param: "\(base)[price_data][currency]") else {
                throw missing("\(base)[price_data][currency]")
            }
            // https://docs.stripe.com/currencies#presentment-currencies; Stripe names the supported ones.
            guard let stripeCurrency = StripeCurrency(currencyRaw) else {
                throw invalid(
                    "\(base)[price_data][currency]",
                    "Invalid currency: \(currencyRaw.lowercased()). Stripe currently supports these currencies: "
                        + StripeCurrency.supportedCodes.sorted().joined(separator: ", "))
            }
            let currency = stripeCurrency.code
            guard let unitAmount = try integer(price["unit_amount"], param: "\(base)[price_data][unit_amount]") else {
                throw missing("\(base)[price_data][unit_amount]")
            }
            guard unitAmount >= 0 else {
                throw invalid(
                    "\(base)[price_data][unit_amount]", "This value must be greater than or equal to 0.",
                    code: "parameter_invalid_integer")
            }
            guard unitAmount <= stripeCurrency.maximumAmount else {
                throw invalid(
                    "\(base)[price_data][unit_amount]",
                    "This value must be less than or equal to \(stripeCurrency.maximumAmount).",
                    code: "parameter_invalid_integer")
            }
            guard let productValue = price["product_data"] else {
                throw missing("\(base)[price_data][product_data]")
            }
            guard let product = productValue.dictionaryValue else {
                throw invalid("\(base)[price_data][product_data]", "Invalid hash")
            }
            try unknownKeys(product, allowed: productDataKeys, prefix: "\(base)[price_data][product_data]")
            guard let name = try string(product["name"], param: "\(base)[price_data][product_data][name]") else {
                throw missing("\(base)[price_data][product_data][name]")
            }
            guard !name.isEmpty else {
                throw invalid(
                    "\(base)[price_data][product_data][name]",
                    "You passed an empty string for '\(base)[price_data][product_data][name]'. We assume empty values are an attempt to unset a parameter; however '\(base)[price_data][product_data][name]' cannot be unset.",
                    code: "parameter_invalid_empty")
            }
            guard let quantity = try integer(item["quantity"], param: "\(base)[quantity]") else {
                throw missing("\(base)[quantity]")
            }
            guard quantity >= 1, quantity <= 999_999 else {
                throw invalid(
                    "\(base)[quantity]", "This value must be greater than or equal to 1.",
                    code: "parameter_invalid_integer")
            }
            items.append(
                LineItem(
                    name: name, unitAmount: unitAmount, currency: currency, quantity: quantity,
                    recurring: try recurring(price["recurring"], param: "\(base)[price_data][recurring]")))
        }
        try checkLines(items, mode: mode)
        guard let first = items.first else {
            throw invalid("line_items", "line_items must contain at least one item.", code: "parameter_invalid_empty")
        }
        guard items.allSatisfy({ $0.currency == first.currency }) else {
            throw invalid("line_items", "All line items must have the same currency.")
        }
        // Minimum, maximum and rounding of the total: https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
        let stripeCurrency = StripeCurrency(first.currency)!  // validated above
        var total: Int64 = 0
        for item in items {
            let (product, o1) = item.unitAmount.multipliedReportingOverflow(by: item.quantity)
            let (sum, o2) = total.addingReportingOverflow(product)
            total = o1 || o2 ? .max : sum
        }
        if let refusal = stripeCurrency.refusal(forTotal: total) {
            throw totalRefused(refusal, stripeCurrency)
        }
        guard let successURL = try url(p["success_url"], param: "success_url") else { throw missing("success_url") }
        let cancelURL = try url(p["cancel_url"], param: "cancel_url")
        let clientReferenceID = try string(p["client_reference_id"], param: "client_reference_id")
        if let clientReferenceID, clientReferenceID.count > 200 {
            throw invalid("client_reference_id", "client_reference_id can be at most 200 characters.")
        }
        let metadata = try metadata(p["metadata"], param: "metadata")
        var piMetadata: [String: String] = [:]
        let subscriptionMetadata = try subscriptionData(p, mode: mode)
        if let pid = p["payment_intent_data"] {
            guard let dict = pid.dictionaryValue else { throw invalid("payment_intent_data", "Invalid hash") }
            try unknownKeys(dict, allowed: paymentIntentDataKeys, prefix: "payment_intent_data")
            piMetadata = try Self.metadata(dict["metadata"], param: "payment_intent_data[metadata]")
        }
        let email = try string(p["customer_email"], param: "customer_email")
        if let email {
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), email.count <= 512,
                !email.contains(" ")
            else {
                throw invalid("customer_email", "Invalid email address: \(email)", code: "email_invalid")
            }
        }
        var expiresAt = now + 86_400
        if let e = try integer(p["expires_at"], param: "expires_at") {
            // 30 minutes to 24 hours after creation, measured on Stripe's clock with no slack
            // (https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-expires_at).
            guard e >= now + 1800 else {
                throw invalid(
                    "expires_at",
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.")
            }
            guard e <= now + 86_400 else {
                throw invalid(
                    "expires_at",
                    "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.")
            }
            expiresAt = e
        }
        var echoed: [String: Wire] = [:]
        for (param, values) in choices.sorted(by: { $0.key < $1.key }) {
            guard let v = try string(p[param], param: param) else { continue }
            guard values.contains(v) else {
                throw invalid(param, "Invalid \(param): must be one of \(values.joined(separator: ", "))")
            }
            echoed[param] = param == "allow_promotion_codes" ? .bool(v == "true") : .string(v)
        }
        if let types = p["payment_method_types"] {
            guard let list = types.arrayValue else { throw invalid("payment_method_types", "Invalid array") }
            for (i, t) in list.enumerated() where t.stringValue != "card" {
                throw invalid(
                    "payment_method_types[\(i)]",
                    "stripe-sim simulates card payments only; payment_method_types may only contain card.")
            }
        }
        var request = SessionCreateRequest(
            mode: mode, lineItems: items, successURL: successURL, cancelURL: cancelURL,
            clientReferenceID: clientReferenceID, metadata: metadata, paymentIntentMetadata: piMetadata,
            customerEmail: email, expiresAt: expiresAt, currency: first.currency, amountTotal: total)
        request.echoed = echoed
        request.subscriptionMetadata = subscriptionMetadata
        return request
    }
}
