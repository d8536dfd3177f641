/// An ordered list of HTTP header fields.
///
/// Why ordered and multi-valued: HTTP allows a field to repeat (`Set-Cookie`, `Via`), and framing
/// checks must see every copy of `Content-Length` or `Transfer-Encoding`, so nothing is merged or
/// dropped. Lookup by name is ASCII case-insensitive; the original spelling is kept for output.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// The fields in the order they were received or added.
    @usableFromInline var fields: [(name: String, value: String)]

    /// An empty header list.
    public init() { fields = [] }

    /// Headers from `(name, value)` pairs, order kept.
    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { (name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// The first value of the field `name` (case-insensitive), or nil when absent.
    public subscript(name: String) -> String? {
        for field in fields where Self.equalsIgnoringCase(field.name, name) { return field.value }
        return nil
    }

    /// Every value of the field `name`, in order; empty when absent.
    public func values(_ name: String) -> [String] {
        var out: [String] = []
        for field in fields where Self.equalsIgnoringCase(field.name, name) { out.append(field.value) }
        return out
    }

    /// Whether at least one field is named `name`.
    public func contains(_ name: String) -> Bool {
        fields.contains { Self.equalsIgnoringCase($0.name, name) }
    }

    /// Appends a field, keeping any existing ones with the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Room for `count` fields without regrowing (the parser reserves a typical request's worth).
    mutating func reserveCapacity(_ count: Int) { fields.reserveCapacity(count) }

    /// Replaces every field named `name` with one field holding `value` (added at the end when absent).
    public mutating func replaceOrAdd(_ name: String, _ value: String) {
        if let index = fields.firstIndex(where: { Self.equalsIgnoringCase($0.name, name) }) {
            fields[index].value = value
            var next = index + 1
            while next < fields.count {
                if Self.equalsIgnoringCase(fields[next].name, name) {
                    fields.remove(at: next)
                } else {
                    next += 1
                }
            }
        } else {
            fields.append((name: name, value: value))
        }
    }

    /// Removes every field named `name`.
    public mutating func remove(_ name: String) {
        fields.removeAll { Self.equalsIgnoringCase($0.name, name) }
    }

    /// The number of fields (repeats counted).
    public var count: Int { fields.count }

    /// Whether there are no fields.
    public var isEmpty: Bool { fields.isEmpty }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }

    /// ASCII case-insensitive comparison (header names are ASCII tokens; no Unicode folding).
    /// Lengths first (O(1) for native strings), so most non-matching names cost no byte loop.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        let au = a.utf8
        let bu = b.utf8
        guard au.count == bu.count else { return false }
        var ai = au.makeIterator()
        var bi = bu.makeIterator()
        while let x = ai.next(), let y = bi.next() {
            if x != y && asciiLower(x) != asciiLower(y) { return false }
        }
        return true
    }

    @inline(__always) static func asciiLower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}
