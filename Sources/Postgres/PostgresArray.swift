/// A one-dimensional Postgres array parameter or column, e.g. `WHERE id = ANY($1)` with
/// `PostgresArray(["a", "b"])`.
///
/// A wrapper because Swift lets `Array` conform to a protocol only once, and `[UInt8]` is bytea. Sent with
/// type OID 0, so the server infers the array type from context (`uuid_column = ANY($1)` makes it `uuid[]`).
public struct PostgresArray<Element> {
    /// The elements, in order.
    public var elements: [Element]

    /// Wraps `elements`.
    public init(_ elements: [Element]) { self.elements = elements }
}

extension PostgresArray: Sendable where Element: Sendable {}

extension PostgresArray: PostgresEncodable where Element: PostgresEncodable {
    /// Inferred by the server from context.
    public static var postgresTypeOID: UInt32 { PostgresOID.unknown }

    /// Array input syntax: every element double-quoted with `"` and `\` escaped, `NULL` for nil.
    public var postgresText: String? {
        var out = "{"
        for (i, element) in elements.enumerated() {
            if i > 0 { out += "," }
            guard let text = element.postgresText else {
                out += "NULL"
                continue
            }
            out += "\""
            for c in text.unicodeScalars {
                if c == "\"" || c == "\\" { out += "\\" }
                out.unicodeScalars.append(c)
            }
            out += "\""
        }
        return out + "}"
    }
}

extension PostgresArray: PostgresDecodable where Element: PostgresDecodable {
    /// Parses one-dimensional array output (`{a,"b c",NULL}`); nil for nested arrays or bad elements.
    public init?(postgresText text: String) {
        var scalars = Substring(text).unicodeScalars[...]
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        scalars = scalars.dropFirst().dropLast()
        var elements: [Element] = []
        while !scalars.isEmpty {
            var value = ""
            var quoted = false
            if scalars.first == "\"" {
                quoted = true
                scalars = scalars.dropFirst()
                while let c = scalars.first, c != "\"" {
                    scalars = scalars.dropFirst()
                    if c == "\\" {
                        guard let escaped = scalars.first else { return nil }
                        value.unicodeScalars.append(escaped)
                        scalars = scalars.dropFirst()
                    } else {
                        value.unicodeScalars.append(c)
                    }
                }
                guard scalars.first == "\"" else { return nil }
                scalars = scalars.dropFirst()
            } else {
                while let c = scalars.first, c != "," {
                    guard c != "{", c != "\"" else { return nil }  // nested arrays are not supported
                    value.unicodeScalars.append(c)
                    scalars = scalars.dropFirst()
                }
            }
            if !quoted && value == "NULL" {
                guard let null = Element.postgresNull else { return nil }
                elements.append(null)
            } else {
                guard let element = Element(postgresText: value) else { return nil }
                elements.append(element)
            }
            if scalars.first == "," {
                scalars = scalars.dropFirst()
                guard !scalars.isEmpty else { return nil }
            } else if !scalars.isEmpty {
                return nil
            }
        }
        self.elements = elements
    }
}
