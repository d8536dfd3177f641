/// Request ids: echo a sane client-supplied `X-Request-Id`, else generate one.
///
/// Why validate: the id is written into logs and response headers, so an attacker-controlled value must
/// not carry separators, control characters or megabytes. Sane = 1…128 characters of `[A-Za-z0-9._-]`.
public enum RequestID {
    /// The id to use for a request whose `X-Request-Id` header is `header`.
    public static func resolve(_ header: String?) -> String {
        if let header, isSane(header) { return header }
        return generate()
    }

    /// Whether `value` is 1…128 characters of `[A-Za-z0-9._-]`.
    public static func isSane(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// A fresh random id: 20 lower-case hex digits (80 bits), unique enough for correlation.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let a = generator.next() as UInt64
        let b = generator.next() as UInt16
        return hex(a, digits: 16) + hex(UInt64(b), digits: 4)
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: digits - text.count) + text
    }
}
