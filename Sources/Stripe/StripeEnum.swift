/// A Stripe string enum that never fails to decode: values this code does not know (Stripe adds them
/// without a version bump) become `.unknown(raw)` and re-encode unchanged.
public protocol StripeEnum: RawRepresentable, Codable, Sendable, Hashable where RawValue == String {
    /// Total: every string maps to a case (`.unknown(raw)` for new values).
    init(rawValue: String)
}

extension StripeEnum {
    /// Decodes any string, including ones added by Stripe later.
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the raw string.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// Decodes a field Stripe sends either as an id string or, when expanded, as an object with an `id`;
/// yields the id either way (nil for null/absent).
struct ExpandableID: Decodable {
    var id: String?

    private struct Object: Decodable { var id: String? }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            id = nil
        } else if let s = try? c.decode(String.self) {
            id = s
        } else {
            id = try c.decode(Object.self).id
        }
    }
}

extension KeyedDecodingContainer {
    /// An optional id-or-expanded-object field.
    func decodeExpandableID(forKey key: Key) throws -> String? {
        try decodeIfPresent(ExpandableID.self, forKey: key)?.id
    }

    /// Stripe metadata: absent or null is empty.
    func decodeMetadata(forKey key: Key) throws -> [String: String] {
        try decodeIfPresent([String: String].self, forKey: key) ?? [:]
    }
}
