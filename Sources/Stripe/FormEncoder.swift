/// Stripe-style bracket form encoding (`application/x-www-form-urlencoded`).
///
/// Contract:
/// - Keys are flattened as `parent[child][0][grandchild]`; lists use explicit indices in order.
/// - Order is deterministic: dictionary keys ascending (by Unicode scalars), lists in index order, so the
///   same parameters always produce the same bytes (idempotency keys compare parameters).
/// - Every key and value is percent-encoded: only RFC 3986 unreserved characters (`A–Z a–z 0–9 - . _ ~`)
///   are left as is; everything else is `%XX` of its UTF-8 bytes, upper-case hex. A space is `%20`
///   (never `+`), and the structural brackets are `%5B`/`%5D`.
///
/// Why strict brackets: this is what Go's `url.Values` (stripe-go) sends; stripe-node, stripe-python,
/// stripe-php, stripe-java and stripe-dotnet turn `%5B`/`%5D` back into literal brackets for readability
/// only. Stripe accepts both and so does `FormDecoder`. A key name that itself contains `[` or `]` cannot
/// be told apart from nesting in either form; Stripe forbids brackets in metadata keys for that reason.
public enum FormEncoder {
    /// The encoded body, e.g. `line_items%5B0%5D%5Bquantity%5D=2&mode=payment`.
    public static func encode(_ parameters: [String: FormValue]) -> String {
        pairs(parameters).map { percentEncode($0.key) + "=" + percentEncode($0.value) }.joined(separator: "&")
    }

    /// The flattened, not yet percent-encoded pairs in wire order (useful in tests and logs of parameter names).
    public static func pairs(_ parameters: [String: FormValue]) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        for key in parameters.keys.sorted(by: scalarsAscending) {
            flatten(parameters[key]!, prefix: key, into: &out)
        }
        return out
    }

    private static func flatten(_ value: FormValue, prefix: String, into out: inout [(key: String, value: String)]) {
        switch value {
        case .string(let s):
            out.append((prefix, s))
        case .array(let items):
            for (i, item) in items.enumerated() {
                flatten(item, prefix: "\(prefix)[\(i)]", into: &out)
            }
        case .dictionary(let d):
            for key in d.keys.sorted(by: scalarsAscending) {
                flatten(d[key]!, prefix: "\(prefix)[\(key)]", into: &out)
            }
        }
    }

    /// Orders by Unicode scalar values, independent of locale.
    static func scalarsAscending(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }

    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// True for RFC 3986 unreserved bytes, the only ones sent unescaped.
    @inline(__always)
    static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Percent-encodes every byte of the UTF-8 form that is not RFC 3986 unreserved.
    public static func percentEncode(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            if isUnreserved(b) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
