import Foundation
import Stripe

/// A catalog entry (`products`): the only source of titles and prices for checkouts.
///
/// Encodes as docs/API.md §3's product JSON: `{"id","title","unitAmount","currency","active","stock"}`
/// (`stock` null = unlimited).
public struct Product: Sendable, Equatable, Encodable {
    public var id: String
    public var title: String
    /// Minor units (> 0).
    public var unitAmount: Int64
    /// ISO 4217, lower case.
    public var currency: String
    public var active: Bool
    /// Units available; nil = unlimited.
    public var stock: Int?
    /// A recurring price (billed every `intervalCount` × `interval`); nil = a one-time price.
    public var recurring: RecurringPrice?

    public init(
        id: String, title: String, unitAmount: Int64, currency: String, active: Bool = true, stock: Int? = nil,
        recurring: RecurringPrice? = nil
    ) {
        self.id = id
        self.title = title
        self.unitAmount = unitAmount
        self.currency = currency
        self.active = active
        self.stock = stock
        self.recurring = recurring
    }

    enum CodingKeys: String, CodingKey {
        case id, title, unitAmount, currency, active, stock, recurring
    }

    /// Encodes docs/API.md's JSON shape (absent values as explicit `null`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(unitAmount, forKey: .unitAmount)
        try container.encode(currency, forKey: .currency)
        try container.encode(active, forKey: .active)
        try container.encode(stock, forKey: .stock)  // explicit null = unlimited
        try container.encode(recurring, forKey: .recurring)  // explicit null = one-time
    }

    /// Parses and validates the body of `PUT /api/admin/products/:id` for product `id`.
    ///
    /// Requires `title` (1–250 Unicode scalars), `unitAmount` (integer > 0, at most Stripe's maximum
    /// for the currency and a multiple of its step), `currency` (one Stripe charges in, lower case); `active` defaults to true, `stock` to null (unlimited) and must otherwise be an
    /// integer ≥ 0; `recurring` to null (a one-time price), see ``RecurringPrice/parse(_:)``. Unknown fields
    /// are rejected, naming the field.
    public static func parse(id: String, body: [UInt8]) throws(CheckoutError) -> Product {
        guard CreateCheckoutRequest.isProductID(id) else {
            throw .validation(field: "id", message: "must be 1-64 characters of letters, digits, '_', '.', '-'")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            throw .invalidJSON("request body is not valid JSON")
        }
        guard let root = object as? [String: Any] else { throw .invalidJSON("request body must be a JSON object") }
        for key in root.keys.sorted()
        where !["id", "title", "unitAmount", "currency", "active", "stock", "recurring"].contains(key) {
            throw .validation(field: key, message: "unknown field")
        }
        if let bodyID = root["id"], !(bodyID is NSNull) {
            guard let bodyID = bodyID as? String, bodyID == id else {
                throw .validation(field: "id", message: "must match the id in the path")
            }
        }
        guard let title = root["title"] as? String, !(root["title"] is NSNumber) else {
            throw .validation(field: "title", message: "is required and must be a string")
        }
        guard (1...250).contains(title.unicodeScalars.count), !CreateCheckoutRequest.hasControlCharacters(title) else {
            throw .validation(field: "title", message: "must be 1-250 Unicode scalars without control characters")
        }
        guard let amount = integer(root["unitAmount"]), amount > 0 else {
            throw .validation(field: "unitAmount", message: "must be an integer > 0 (minor units)")
        }
        guard let currency = root["currency"] as? String, currency.utf8.count == 3,
            currency.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A })
        else {
            throw .validation(field: "currency", message: "must be a lower-case ISO 4217 code such as \"usd\"")
        }
        // Stripe's own rules (StripeCurrency): a product Stripe could never charge is refused here, not
        // when a customer pays.
        guard let rules = StripeCurrency(currency) else {
            throw .validation(field: "currency", message: "is not a currency Stripe charges in")
        }
        guard Int64(amount) <= rules.maximumAmount else {
            throw .validation(
                field: "unitAmount",
                message:
                    "must be at most \(rules.maximumAmount) (\(rules.formatted(rules.maximumAmount)) \(currency)), Stripe's maximum"
            )
        }
        guard Int64(amount) % rules.amountStep == 0 else {
            throw .validation(
                field: "unitAmount", message: "must be a multiple of \(rules.amountStep) in \(currency) (Stripe's rule)"
            )
        }
        var active = true
        if let raw = root["active"], !(raw is NSNull) {
            guard let number = raw as? NSNumber, String(cString: number.objCType) == "c" else {
                throw .validation(field: "active", message: "must be a boolean")
            }
            active = number.boolValue
        }
        var stock: Int?
        if let raw = root["stock"], !(raw is NSNull) {
            guard let value = integer(raw), value >= 0, value <= Int(Int32.max) else {
                throw .validation(field: "stock", message: "must be null (unlimited) or an integer >= 0")
            }
            stock = value
        }
        let recurring = try RecurringPrice.parse(root["recurring"])
        return Product(
            id: id, title: title, unitAmount: Int64(amount), currency: currency, active: active, stock: stock,
            recurring: recurring)
    }

    static func integer(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber, !(value is String), String(cString: number.objCType) != "c" else {
            return nil
        }
        let double = number.doubleValue
        guard double.isFinite, double == double.rounded(), abs(double) < 1e15 else { return nil }
        return Int(double)
    }
}
