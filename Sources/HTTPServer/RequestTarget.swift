/// Pure helpers that split and decode a request target (RFC 9112 §3.2, RFC 3986).
enum RequestTarget {
    /// Splits an origin-form or absolute-form target into raw path segments and the raw query.
    static func split(_ target: String) -> (segments: [Substring], query: Substring) {
        var rest = Substring(target)
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        // absolute-form: scheme://authority/path → keep from the path on.
        if !rest.hasPrefix("/"), let scheme = rest.range(of: "://") {
            let afterAuthority = rest[scheme.upperBound...]
            rest = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterAuthority[$0...] } ?? ""
        }
        let path: Substring
        let query: Substring
        if let q = rest.firstIndex(of: "?") {
            path = rest[..<q]
            query = rest[rest.index(after: q)...]
        } else {
            path = rest
            query = ""
        }
        return (path.split(separator: "/", omittingEmptySubsequences: true), query)
    }

    /// `/` + the percent-decoded segments joined by `/` (a segment that does not decode is kept raw).
    static func decodedPath(_ segments: [Substring]) -> String {
        if segments.isEmpty { return "/" }
        var out = ""
        for segment in segments {
            out += "/"
            out += percentDecode(segment, plusIsSpace: false) ?? String(segment)
        }
        return out
    }

    /// Parses `a=1&b=x%20y&c` into ordered pairs (a missing `=` gives an empty value).
    static func parseQuery(_ query: Substring) -> [(String, String)] {
        var items: [(String, String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let eq = part.firstIndex(of: "=") {
                name = part[..<eq]
                value = part[part.index(after: eq)...]
            } else {
                name = part
                value = ""
            }
            items.append(
                (
                    percentDecode(name, plusIsSpace: true) ?? String(name),
                    percentDecode(value, plusIsSpace: true) ?? String(value)
                ))
        }
        return items
    }

    /// Percent-decodes `text`; nil when an escape is malformed or the result is not valid UTF-8.
    static func percentDecode(_ text: Substring, plusIsSpace: Bool) -> String? {
        let utf8 = text.utf8
        if !utf8.contains(UInt8(ascii: "%")) && !(plusIsSpace && utf8.contains(UInt8(ascii: "+"))) {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let h = utf8.index(after: index)
                guard h < utf8.endIndex else { return nil }
                let l = utf8.index(after: h)
                guard l < utf8.endIndex, let hi = hexValue(utf8[h]), let lo = hexValue(utf8[l]) else { return nil }
                bytes.append(hi << 4 | lo)
                index = utf8.index(after: l)
            } else {
                bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index = utf8.index(after: index)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
