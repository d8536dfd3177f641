/// A Stripe request parameter: a string leaf, an indexed list, or a nested dictionary.
///
/// Stripe's API takes `application/x-www-form-urlencoded` bodies whose keys spell the nesting with
/// brackets (`line_items[0][price_data][currency]=usd`). `FormValue` is that tree; `FormEncoder`
/// flattens it and `FormDecoder` rebuilds it (the simulator needs both directions).
///
/// Numbers and booleans are strings on the wire (`unit_amount=1250`, `enabled=true`), so the tree
/// only holds strings; use the convenience initialisers for integers.
public enum FormValue: Sendable, Hashable {
    /// A leaf value, sent as is (percent-encoded).
    case string(String)
    /// A list, sent with explicit indices `key[0]`, `key[1]`, … in order. An empty list sends nothing.
    case array([FormValue])
    /// A nested object, sent as `key[child]`, children in ascending key order. An empty one sends nothing.
    case dictionary([String: FormValue])

    /// An integer leaf (`unit_amount`, `quantity`, `expires_at`).
    public static func int<I: BinaryInteger>(_ value: I) -> FormValue { .string(String(value)) }

    /// A dictionary of string leaves (`metadata`).
    public static func strings(_ values: [String: String]) -> FormValue {
        .dictionary(values.mapValues { .string($0) })
    }

    /// The leaf string, or nil for a container.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The children of a container keyed by name. A list is seen as a dictionary keyed `"0"`, `"1"`, …
    /// because the wire format cannot tell `metadata[0]=x` (a dictionary) from a one-element list.
    public var dictionaryValue: [String: FormValue]? {
        switch self {
        case .string: return nil
        case .dictionary(let d): return d
        case .array(let a):
            var d: [String: FormValue] = [:]
            for (i, v) in a.enumerated() { d[String(i)] = v }
            return d
        }
    }

    /// The elements of a list, or nil for a leaf or a dictionary.
    public var arrayValue: [FormValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// Child lookup for dictionaries (and lists by decimal index); nil otherwise.
    public subscript(key: String) -> FormValue? {
        dictionaryValue?[key]
    }
}

extension FormValue: ExpressibleByStringLiteral {
    /// `"usd"` is `.string("usd")`, for readable parameter literals.
    public init(stringLiteral value: String) { self = .string(value) }
}
