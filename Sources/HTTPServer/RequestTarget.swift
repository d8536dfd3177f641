/// Pure helpers that split and decode a request target (RFC 9112 §3.2, RFC 3986).
enum RequestTarget {
    /// Splits an origin-form or absolute-form target into raw path segments and the raw query.
    ///
    /// Works on UTF-8 bytes: `/`, `?`, `#` are ASCII and the parser only admits visible ASCII targets, so
    /// this is the same split as on Characters without grapheme breaking for each byte of every request.
    static func split(_ target: String) -> (segments: [Substring], query: Substring) {
        let utf8 = target.utf8
        var start = utf8.startIndex
        let end = utf8.firstIndex(of: UInt8(ascii: "#")) ?? utf8.endIndex
        // absolute-form: scheme://authority/path → keep from the path on.
        if utf8.first != UInt8(ascii: "/"), let afterScheme = Self.indexAfter("://", in: utf8[start..<end]) {
            start =
                utf8[afterScheme..<end].firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) ?? end
        }
        let questionMark = utf8[start..<end].firstIndex(of: UInt8(ascii: "?"))
        let pathEnd = questionMark ?? end
        let query = questionMark.map { target[utf8.index(after: $0)..<end] } ?? ""
        var segments: [Substring] = []
        var segmentStart = start
        var i = start
        while i < pathEnd {
            if utf8[i] == UInt8(ascii: "/") {
                if segmentStart < i { segments.append(target[segmentStart..<i]) }
                segmentStart = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        if segmentStart < pathEnd { segments.append(target[segmentStart..<pathEnd]) }
        return (segments, query)
    }

    /// The index just past the first occurrence of ASCII `needle` in `bytes`.
    private static func indexAfter(_ needle: StaticString, in bytes: Substring.UTF8View) -> String.Index? {
        let pattern = needle.withUTF8Buffer { Array($0) }
        var i = bytes.startIndex
        while i < bytes.endIndex {
            var j = i
            var k = 0
            while k < pattern.count, j < bytes.endIndex, bytes[j] == pattern[k] {
                j = bytes.index(after: j)
                k += 1
            }
            if k == pattern.count { return j }
            i = bytes.index(after: i)
        }
        return nil
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
