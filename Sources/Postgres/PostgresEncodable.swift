import Foundation

/// A value that can be sent as a query parameter, in Postgres text format.
///
/// Parameters travel separately from the SQL (`PQexecParams`), so no value is ever spliced into SQL text.
/// Conforming: `String`, `Int`, `Int32`, `Int64`, `Bool`, `Double`, `UUID`, `Date` (timestamptz),
/// `PostgresJSON` (jsonb), `[UInt8]` (bytea), and `Optional` of each (`nil` is SQL NULL).
public protocol PostgresEncodable {
    /// The parameter's type OID. `0` lets the server infer the type from context, which is why `String`
    /// uses it: one string parameter can then feed text, uuid, jsonb or enum columns alike. The others name
    /// their type so that e.g. `SELECT $1 + 1` with an `Int` is bigint arithmetic, not int4 overflow.
    static var postgresTypeOID: UInt32 { get }
    /// The value in Postgres text input format, or `nil` for SQL NULL.
    var postgresText: String? { get }
}

/// Type OIDs from `pg_type` (stable across Postgres versions).
enum PostgresOID {
    static let unknown: UInt32 = 0
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let int8: UInt32 = 20
    static let int4: UInt32 = 23
    static let float8: UInt32 = 701
    static let timestamptz: UInt32 = 1184
    static let uuid: UInt32 = 2950
    static let jsonb: UInt32 = 3802
}

extension String: PostgresEncodable {
    /// Inferred by the server (see `PostgresEncodable.postgresTypeOID`).
    public static var postgresTypeOID: UInt32 { PostgresOID.unknown }
    /// The string itself.
    public var postgresText: String? { self }
}

extension Int: PostgresEncodable {
    /// bigint.
    public static var postgresTypeOID: UInt32 { PostgresOID.int8 }
    /// Decimal digits.
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresEncodable {
    /// bigint.
    public static var postgresTypeOID: UInt32 { PostgresOID.int8 }
    /// Decimal digits.
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresEncodable {
    /// integer.
    public static var postgresTypeOID: UInt32 { PostgresOID.int4 }
    /// Decimal digits.
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresEncodable {
    /// boolean.
    public static var postgresTypeOID: UInt32 { PostgresOID.bool }
    /// `t` or `f`.
    public var postgresText: String? { self ? "t" : "f" }
}

extension Double: PostgresEncodable {
    /// double precision.
    public static var postgresTypeOID: UInt32 { PostgresOID.float8 }
    /// Shortest round-tripping digits; `NaN`, `Infinity`, `-Infinity` as Postgres spells them.
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return description
    }
}

extension UUID: PostgresEncodable {
    /// uuid.
    public static var postgresTypeOID: UInt32 { PostgresOID.uuid }
    /// Lower-case canonical form.
    public var postgresText: String? { uuidString.lowercased() }
}

extension Date: PostgresEncodable {
    /// timestamptz.
    public static var postgresTypeOID: UInt32 { PostgresOID.timestamptz }
    /// ISO 8601 in UTC with microseconds, e.g. `2026-11-21T19:52:03.123456+00`.
    public var postgresText: String? { PostgresTimestamp.format(self) }
}

extension Array: PostgresEncodable where Element == UInt8 {
    /// bytea.
    public static var postgresTypeOID: UInt32 { PostgresOID.bytea }
    /// Hex format, `\x0aff…`.
    public var postgresText: String? {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        out.reserveCapacity(2 + count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    /// The wrapped type's OID, so a NULL is still typed.
    public static var postgresTypeOID: UInt32 { Wrapped.postgresTypeOID }
    /// `nil` (SQL NULL) or the wrapped value's text.
    public var postgresText: String? { self.flatMap { $0.postgresText } }
}
