import Foundation

/// A JSON value as Stripe sends it: the simulator renders every API object and event body through this, so
/// an object carries every field Stripe's schema for the pinned API version requires, with explicit nulls.
///
/// The product's typed `Stripe` models stay small (they decode only what the product reads); this is the
/// full wire shape (see `WireObjects.swift`).
indirect enum Wire: Encodable, Sendable, Equatable, ExpressibleByNilLiteral, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    typealias Key = String
    typealias Value = Wire

    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([Wire])
    case object([String: Wire])

    init(nilLiteral: ()) { self = .null }
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int64) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: Wire...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, Wire)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    /// `.string(s)`, or `.null` for nil.
    static func text(_ value: String?) -> Wire { value.map { .string($0) } ?? .null }
    /// `.int(n)`, or `.null` for nil.
    static func number(_ value: Int64?) -> Wire { value.map { .int($0) } ?? .null }
    /// A string map (metadata).
    static func map(_ value: [String: String]) -> Wire { .object(value.mapValues { .string($0) }) }

    private struct FieldKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .int(let i):
            var c = encoder.singleValueContainer()
            try c.encode(i)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let a):
            var c = encoder.unkeyedContainer()
            for v in a { try c.encode(v) }
        case .object(let o):
            var c = encoder.container(keyedBy: FieldKey.self)
            for (k, v) in o { try c.encode(v, forKey: FieldKey(stringValue: k)) }
        }
    }

    /// The value at `key` of an object (nil for other values or a missing key).
    subscript(key: String) -> Wire? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// This object with `key` set to `value`.
    func setting(_ key: String, _ value: Wire) -> Wire {
        guard case .object(var o) = self else { return self }
        o[key] = value
        return .object(o)
    }
}
