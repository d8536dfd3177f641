/// A value that writes its own JSON straight into the response body, for hot responses where
/// `JSONEncoder` (a tree of boxed values, then `Data`, then a copy into the body) costs more than the
/// rest of the request. It stays `Encodable` too, and its written bytes must equal what `JSONEncoder`
/// (`.withoutEscapingSlashes`) produces for it: a test compares the two for each conforming type, so a
/// field added to one and not the other fails.
public protocol JSONWritable: Encodable {
    /// Writes the value as one JSON value.
    func writeJSON(to json: inout JSONWriter)
}

/// Appends compact JSON to a byte buffer, escaping strings exactly as Foundation's `JSONEncoder` does
/// with `.withoutEscapingSlashes` (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as
/// `\u00xx`; everything else, non-ASCII included, verbatim).
///
/// Commas are inserted by the writer: call `key(_:)` then one value inside ``object(_:)``, values one after
/// another inside ``array(_:_:)``.
///
/// ```swift
/// var json = JSONWriter()
/// json.object { json in
///     json.key("id"); json.string(order.id)
///     json.key("email"); json.string(order.email)  // nil writes null
/// }
/// ```
public struct JSONWriter {
    /// The JSON written so far.
    public private(set) var bytes: [UInt8]
    /// True while the next value needs no comma before it (start of a container, or right after a key).
    private var atStart = true

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes `{`, the members `body` writes, `}`.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        atStart = true
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        atStart = false
    }

    /// Writes `[`, one value per element (written by `body`), `]`.
    public mutating func array<S: Sequence>(_ elements: S, _ body: (inout JSONWriter, S.Element) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        atStart = true
        for element in elements { body(&self, element) }
        bytes.append(UInt8(ascii: "]"))
        atStart = false
    }

    /// Writes a member name and `:`; the next call writes its value. `name` must need no escaping
    /// (member names are our own ASCII identifiers).
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        atStart = true
    }

    /// Writes `null`.
    public mutating func null() {
        separate()
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    /// Writes an integer in decimal.
    public mutating func integer<T: FixedWidthInteger>(_ value: T) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = UInt64(value.magnitude)
        // Digits come out last first: write them into a small scratch area, then copy them in order.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            var i = 20
            repeat {
                i -= 1
                scratch[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeMutableBufferPointer(rebasing: scratch[i..<20]))
        }
    }

    /// Writes an optional integer (`null` for nil).
    public mutating func integer<T: FixedWidthInteger>(_ value: T?) {
        if let value { integer(value) } else { null() }
    }

    /// Writes a JSON string.
    public mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var run = 0  // start of the bytes not yet copied
            for (i, byte) in utf8.enumerated()
            where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<i]))
                appendEscape(byte)
                run = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes an optional string (`null` for nil).
    public mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    /// Writes bytes that already are one JSON value (trusted: not checked).
    public mutating func raw(_ json: some Sequence<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
    }

    private mutating func appendEscape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [
                UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)],
            ])
        }
    }

    private mutating func separate() {
        if atStart {
            atStart = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
    }
}

extension HTTPResponse {
    /// A JSON response written by the value itself (no `JSONEncoder`), `Content-Type: application/json`.
    public static func json<T: JSONWritable>(_ value: T, status: HTTPStatus = .ok) -> HTTPResponse {
        var writer = JSONWriter()
        value.writeJSON(to: &writer)
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: writer.bytes)
    }
}
