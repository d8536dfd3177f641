import Foundation

/// A validated create-checkout-session request body (docs/API.md §2).
///
/// Parsed from the raw JSON bytes with `JSONSerialization` rather than `Codable`, so that a wrong
/// JSON type is reported precisely (`items[2].quantity must be an integer`, not "data corrupted").
/// Contract:
/// - the body is a JSON object; anything else is `invalid_json`;
/// - unknown fields (top level and inside items) are rejected with `validation_error` naming the
///   field, so a client that tries to send a price learns at once that prices come from the catalog;
/// - `items`: 1–100 objects `{productId, quantity}`; productId 1–64 chars of `[A-Za-z0-9_.-]`
///   (the `products.id` pattern), each at most once; quantity an integer 1–999 (not a string, not a
///   boolean, not a fraction);
/// - `customerEmail` ≤ 254 chars, exactly one `@` with text on both sides, no whitespace;
/// - `customerId` 1–200 chars, no control characters;
/// - `metadata`: at most 20 pairs; keys 1–40 chars without `[`, `]` or control characters; values
///   strings ≤ 500 chars without NUL (Postgres cannot store it);
/// - `null` for an optional field means "absent".
public struct CreateCheckoutRequest: Sendable, Equatable {
    /// One requested line: a product and how many.
    public struct Item: Sendable, Equatable {
        public var productID: String
        public var quantity: Int

        public init(productID: String, quantity: Int) {
            self.productID = productID
            self.quantity = quantity
        }
    }

    public var items: [Item]
    public var customerEmail: String?
    public var customerID: String?
    public var metadata: [String: String]

    public static let maxItems = 100
    public static let maxQuantity = 999
    public static let maxMetadataPairs = 20

    public init(
        items: [Item], customerEmail: String? = nil, customerID: String? = nil, metadata: [String: String] = [:]
    ) {
        self.items = items
        self.customerEmail = customerEmail
        self.customerID = customerID
        self.metadata = metadata
    }

    /// Parses and validates a raw request body. Throws ``CheckoutError/invalidJSON(_:)`` or
    /// ``CheckoutError/validation(field:message:)`` for the first problem found.
    public static func parse(_ body: [UInt8]) throws(CheckoutError) -> CreateCheckoutRequest {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            throw .invalidJSON("request body is not valid JSON")
        }
        guard let root = object as? [String: Any] else {
            throw .invalidJSON("request body must be a JSON object")
        }
        for key in root.keys.sorted() where !["items", "customerEmail", "customerId", "metadata"].contains(key) {
            throw .validation(field: key, message: "unknown field")
        }

        guard let rawItems = root["items"], !(rawItems is NSNull) else {
            throw .validation(field: "items", message: "is required")
        }
        guard let itemList = rawItems as? [Any] else {
            throw .validation(field: "items", message: "must be an array")
        }
        guard !itemList.isEmpty else { throw .validation(field: "items", message: "must not be empty") }
        guard itemList.count <= maxItems else {
            throw .validation(field: "items", message: "must have at most \(maxItems) entries")
        }
        var items: [Item] = []
        var seen: Set<String> = []
        for (index, rawItem) in itemList.enumerated() {
            let path = "items[\(index)]"
            guard let item = rawItem as? [String: Any] else {
                throw .validation(field: path, message: "must be an object")
            }
            for key in item.keys.sorted() where key != "productId" && key != "quantity" {
                throw .validation(
                    field: "\(path).\(key)",
                    message: "unknown field (prices and titles come from the catalog, never from the client)")
            }
            let productID = try requiredString(item["productId"], field: "\(path).productId")
            guard isProductID(productID) else {
                throw .validation(
                    field: "\(path).productId", message: "must be 1-64 characters of letters, digits, '_', '.', '-'")
            }
            guard seen.insert(productID).inserted else {
                throw .validation(field: "\(path).productId", message: "appears more than once")
            }
            let quantity = try integer(item["quantity"], field: "\(path).quantity")
            guard (1...maxQuantity).contains(quantity) else {
                throw .validation(field: "\(path).quantity", message: "must be between 1 and \(maxQuantity)")
            }
            items.append(Item(productID: productID, quantity: quantity))
        }

        var email: String?
        if let value = try optionalString(root["customerEmail"], field: "customerEmail") {
            guard isSaneEmail(value) else {
                throw .validation(field: "customerEmail", message: "is not a valid email address")
            }
            email = value
        }
        var customerID: String?
        if let value = try optionalString(root["customerId"], field: "customerId") {
            guard (1...200).contains(value.unicodeScalars.count), !hasControlCharacters(value) else {
                throw .validation(
                    field: "customerId", message: "must be 1-200 Unicode scalars without control characters")
            }
            customerID = value
        }
        var metadata: [String: String] = [:]
        if let rawMetadata = root["metadata"], !(rawMetadata is NSNull) {
            guard let pairs = rawMetadata as? [String: Any] else {
                throw .validation(field: "metadata", message: "must be an object of string values")
            }
            guard pairs.count <= maxMetadataPairs else {
                throw .validation(field: "metadata", message: "must have at most \(maxMetadataPairs) pairs")
            }
            for key in pairs.keys.sorted() {
                let field = "metadata.\(key)"
                guard (1...40).contains(key.unicodeScalars.count), !key.contains("["), !key.contains("]"),
                    !hasControlCharacters(key)
                else {
                    throw .validation(
                        field: field,
                        message: "keys must be 1-40 Unicode scalars without '[', ']' or control characters")
                }
                guard let value = pairs[key] as? String, !isBoolOrNumber(pairs[key]) else {
                    throw .validation(field: field, message: "must be a string")
                }
                guard value.unicodeScalars.count <= 500 else {
                    throw .validation(field: field, message: "must be at most 500 Unicode scalars")
                }
                guard !value.unicodeScalars.contains("\u{0}") else {
                    throw .validation(field: field, message: "must not contain NUL characters")
                }
                metadata[key] = value
            }
        }
        return CreateCheckoutRequest(items: items, customerEmail: email, customerID: customerID, metadata: metadata)
    }

    /// A canonical text of the request (sorted, whitespace-free) whose hash identifies "the same
    /// body" for client idempotency keys, independent of key order and formatting.
    public var canonicalText: String {
        var object: [String: Any] = [
            "items": items.map { ["productId": $0.productID, "quantity": $0.quantity] as [String: Any] },
            "metadata": metadata,
        ]
        if let customerEmail { object["customerEmail"] = customerEmail }
        if let customerID { object["customerId"] = customerID }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Field helpers

    static func isProductID(_ value: String) -> Bool {
        guard (1...64).contains(value.utf8.count) else { return false }
        return value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte == 0x2E || byte == 0x2D
        }
    }

    static func isSaneEmail(_ value: String) -> Bool {
        // RFC 5321: a path is at most 256 octets, so an address at most 254 (bytes, not characters).
        guard value.utf8.count <= 254 else { return false }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        // At least as strict as Stripe (which answers 400 email_invalid for "a@b"): a domain of two or
        // more non-empty labels. Accepting less would store an order whose session can never be created.
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else { return false }
        return !value.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }
    }

    /// C0 controls and DEL (NUL cannot be stored in Postgres text or jsonb at all).
    static func hasControlCharacters(_ value: String) -> Bool {
        value.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    private static func isBoolOrNumber(_ value: Any?) -> Bool {
        value is NSNumber
    }

    private static func isBool(_ number: NSNumber) -> Bool {
        // JSON true/false decode to a boolean NSNumber whose Objective-C type is "c" (char).
        String(cString: number.objCType) == "c"
    }

    private static func requiredString(_ value: Any?, field: String) throws(CheckoutError) -> String {
        guard let value, !(value is NSNull) else { throw .validation(field: field, message: "is required") }
        guard let string = value as? String, !(value is NSNumber) else {
            throw .validation(field: field, message: "must be a string")
        }
        return string
    }

    private static func optionalString(_ value: Any?, field: String) throws(CheckoutError) -> String? {
        guard let value, !(value is NSNull) else { return nil }
        guard let string = value as? String, !(value is NSNumber) else {
            throw .validation(field: field, message: "must be a string")
        }
        return string
    }

    private static func integer(_ value: Any?, field: String) throws(CheckoutError) -> Int {
        guard let value, !(value is NSNull) else { throw .validation(field: field, message: "is required") }
        guard let number = value as? NSNumber, !(value is String), !isBool(number) else {
            throw .validation(field: field, message: "must be an integer")
        }
        let double = number.doubleValue
        guard double.isFinite, double == double.rounded(), abs(double) < 1e9 else {
            throw .validation(field: field, message: "must be an integer")
        }
        return Int(double)
    }
}
