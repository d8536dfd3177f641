import Foundation

/// A json/jsonb value carried as its text, so the database layer never imposes a Swift model on it.
///
/// Sent as jsonb (Postgres casts it to json on assignment too); decoded from json or jsonb columns.
public struct PostgresJSON: Sendable, Hashable, PostgresEncodable, PostgresDecodable {
    /// The JSON document's text.
    public var text: String

    /// Wraps JSON text as is; the server validates it.
    public init(_ text: String) { self.text = text }

    /// Encodes `value` with `JSONEncoder` (sorted keys, so equal values give equal text).
    public init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes the text with `JSONDecoder`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    /// jsonb.
    public static var postgresTypeOID: UInt32 { PostgresOID.jsonb }
    /// The JSON text.
    public var postgresText: String? { text }
    /// Any json or jsonb output.
    public init?(postgresText text: String) { self.text = text }
}
