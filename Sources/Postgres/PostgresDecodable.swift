import Foundation

/// A value that can be read from a result column in Postgres text format (every query asks for text results).
///
/// Conforming: `String` (any column's text), `Int`, `Int32`, `Int64`, `Bool`, `Double`, `UUID`, `Date`
/// (timestamptz/timestamp), `PostgresJSON`, `[UInt8]` (bytea), and `Optional` of each, which is the only way
/// to read SQL NULL.
public protocol PostgresDecodable {
    /// Parses a non-NULL field; `nil` when the text is not a valid value of this type.
    init?(postgresText text: String)
    /// The value that stands for SQL NULL, or `nil` when the type cannot represent NULL (all but `Optional`).
    static var postgresNull: Self? { get }
}

extension PostgresDecodable {
    /// Non-optional types reject NULL.
    public static var postgresNull: Self? { nil }
}

extension String: PostgresDecodable {
    /// Any column's text.
    public init?(postgresText text: String) { self = text }
}

extension Int: PostgresDecodable {
    /// Decimal digits of smallint, integer or bigint.
    public init?(postgresText text: String) { self.init(text) }
}

extension Int64: PostgresDecodable {
    /// Decimal digits of smallint, integer or bigint.
    public init?(postgresText text: String) { self.init(text) }
}

extension Int32: PostgresDecodable {
    /// Decimal digits of smallint or integer (or a bigint that fits).
    public init?(postgresText text: String) { self.init(text) }
}

extension Bool: PostgresDecodable {
    /// `t` or `f`, the boolean output format.
    public init?(postgresText text: String) {
        switch text {
        case "t": self = true
        case "f": self = false
        default: return nil
        }
    }
}

extension Double: PostgresDecodable {
    /// float8/float4/numeric digits, plus `NaN`, `Infinity`, `-Infinity`.
    public init?(postgresText text: String) {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default: self.init(text)
        }
    }
}

extension UUID: PostgresDecodable {
    /// The uuid output format.
    public init?(postgresText text: String) { self.init(uuidString: text) }
}

extension Date: PostgresDecodable {
    /// timestamptz output (`2026-11-21 19:52:03.123456+00`, any offset), timestamp output (read as UTC),
    /// and `infinity` / `-infinity` (as `distantFuture` / `distantPast`).
    public init?(postgresText text: String) {
        guard let date = PostgresTimestamp.parse(text) else { return nil }
        self = date
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// bytea hex output format (`\x…`).
    public init?(postgresText text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0
        else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        self = bytes
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// The wrapped type's parse.
    public init?(postgresText text: String) {
        guard let value = Wrapped(postgresText: text) else { return nil }
        self = .some(value)
    }
    /// NULL decodes as `nil`.
    public static var postgresNull: Self? { .some(.none) }
}
