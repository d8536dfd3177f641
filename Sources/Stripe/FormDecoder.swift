/// Parses a Stripe-style bracket form body back into a `FormValue` tree (what the simulator receives).
///
/// Contract:
/// - Pairs are split on `&`, each on its first `=`; keys and values are percent-decoded (`+` is a space,
///   as in any form body) and must be valid UTF-8.
/// - Keys may use literal or percent-encoded brackets: `a[b][0]` and `a%5Bb%5D%5B0%5D` are the same.
/// - A container whose keys are exactly `0…n-1` (canonical decimals) becomes a list, anything else a
///   dictionary. Indices may arrive in any order; gaps make it a dictionary.
/// - Anything ambiguous is an error, never a guess: a key given twice, a leaf and a container at the same
///   path, unbalanced brackets, empty names, `[]` (append) segments. Sizes are bounded by `Limits`.
public enum FormDecoder {
    /// Bounds on hostile input.
    public struct Limits: Sendable {
        /// Most `key=value` pairs accepted.
        public var maxPairs: Int
        /// Most bracket levels below the top-level name.
        public var maxDepth: Int
        /// Defaults suited to a Checkout Session create (100 line items × 4 fields plus change).
        public init(maxPairs: Int = 2000, maxDepth: Int = 8) {
            self.maxPairs = maxPairs
            self.maxDepth = maxDepth
        }
    }

    /// Decodes a raw body.
    public static func decode(_ body: [UInt8], limits: Limits = Limits()) throws(FormDecodingError)
        -> [String: FormValue]
    {
        var root = Node.branch([:])
        var count = 0
        for part in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            count += 1
            if count > limits.maxPairs { throw FormDecodingError(reason: "more than \(limits.maxPairs) parameters") }
            let rawKey: ArraySlice<UInt8>
            let rawValue: ArraySlice<UInt8>
            if let eq = part.firstIndex(of: UInt8(ascii: "=")) {
                rawKey = part[part.startIndex..<eq]
                rawValue = part[(eq + 1)...]
            } else {
                rawKey = part
                rawValue = []
            }
            let key = try percentDecode(rawKey)
            let value = try percentDecode(rawValue)
            let path = try parseKey(key, maxDepth: limits.maxDepth)
            try insert(value, at: path[...], into: &root, fullKey: key)
        }
        guard case .branch(let top) = root else { return [:] }
        return top.mapValues { $0.formValue }
    }

    /// Decodes a body given as a string (tests).
    public static func decode(_ body: String, limits: Limits = Limits()) throws(FormDecodingError)
        -> [String: FormValue]
    {
        try decode(Array(body.utf8), limits: limits)
    }

    /// Splits `a[b][0]` into `["a", "b", "0"]`.
    static func parseKey(_ key: String, maxDepth: Int) throws(FormDecodingError) -> [String] {
        guard let open = key.firstIndex(of: "[") else {
            guard !key.isEmpty, !key.contains("]") else { throw FormDecodingError(reason: "malformed key \(key)") }
            return [key]
        }
        let name = String(key[key.startIndex..<open])
        guard !name.isEmpty, !name.contains("]") else { throw FormDecodingError(reason: "malformed key \(key)") }
        var path = [name]
        var i = open
        while i < key.endIndex {
            guard key[i] == "[" else { throw FormDecodingError(reason: "malformed key \(key)") }
            let start = key.index(after: i)
            guard let close = key[start...].firstIndex(of: "]") else {
                throw FormDecodingError(reason: "unbalanced brackets in \(key)")
            }
            let segment = String(key[start..<close])
            guard !segment.isEmpty, !segment.contains("[") else {
                throw FormDecodingError(reason: "malformed key \(key)")
            }
            path.append(segment)
            if path.count - 1 > maxDepth { throw FormDecodingError(reason: "nesting deeper than \(maxDepth)") }
            i = key.index(after: close)
        }
        return path
    }

    private indirect enum Node {
        case leaf(String)
        case branch([String: Node])

        var formValue: FormValue {
            switch self {
            case .leaf(let s): return .string(s)
            case .branch(let children):
                let n = children.count
                var isList = n > 0
                if isList {
                    for k in children.keys {
                        guard let i = Int(k), i >= 0, i < n, String(i) == k else {
                            isList = false
                            break
                        }
                    }
                }
                if isList {
                    return .array((0..<n).map { children[String($0)]!.formValue })
                }
                return .dictionary(children.mapValues { $0.formValue })
            }
        }
    }

    private static func insert(_ value: String, at path: ArraySlice<String>, into node: inout Node, fullKey: String)
        throws(FormDecodingError)
    {
        guard case .branch(var children) = node else {
            throw FormDecodingError(reason: "\(fullKey) conflicts with a value given earlier")
        }
        let head = path.first!
        let rest = path.dropFirst()
        if rest.isEmpty {
            guard children[head] == nil else {
                throw FormDecodingError(reason: "\(fullKey) is given more than once or conflicts with a nested key")
            }
            children[head] = .leaf(value)
        } else {
            var child = children[head] ?? .branch([:])
            children[head] = nil  // keep the child uniquely referenced while it is mutated
            try insert(value, at: rest, into: &child, fullKey: fullKey)
            children[head] = child
        }
        node = .branch(children)
    }

    /// Percent-decodes (and `+` → space), then validates UTF-8.
    static func percentDecode(_ bytes: ArraySlice<UInt8>) throws(FormDecodingError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                guard bytes.endIndex - i >= 3,
                    let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
                else { throw FormDecodingError(reason: "malformed percent escape") }
                out.append(hi << 4 | lo)
                i += 3
            } else if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
                i += 1
            } else {
                out.append(b)
                i += 1
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            throw FormDecodingError(reason: "parameter is not valid UTF-8")
        }
        return s
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Why a form body could not be decoded; `reason` names the offending key but never a value.
public struct FormDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// For a human (the simulator puts it in a Stripe-shaped 400 message).
    public var reason: String
    /// Creates the error.
    public init(reason: String) { self.reason = reason }
    public var description: String { "invalid form body: \(reason)" }
}
