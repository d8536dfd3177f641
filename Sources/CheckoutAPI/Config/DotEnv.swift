/// A parser for `.env` files: the small dialect people actually write.
///
/// Accepted per line: blank lines, `# comments`, `KEY=VALUE`, an optional `export ` prefix,
/// values in double quotes (escapes `\n`, `\t`, `\"`, `\\`), in single quotes (literal), or bare
/// (trimmed; a ` #` starts a trailing comment). Anything else is an error naming the line, because a
/// silently ignored line is a setting that silently does not apply.
public enum DotEnv {
    /// Parses `text` into variables; a later line wins over an earlier one with the same key.
    public static func parse(_ text: String) throws(ConfigError) -> [String: String] {
        var result: [String: String] = [:]
        var lineNumber = 0
        // "\r\n" is one Character in Swift, so split on it explicitly.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        for rawLine in lines {
            lineNumber += 1
            var line = rawLine.drop(while: { $0 == " " || $0 == "\t" })
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") || line.hasPrefix("export\t") {
                line = line.dropFirst(7).drop(while: { $0 == " " || $0 == "\t" })
            }
            guard let eq = line.firstIndex(of: "=") else {
                throw bad(lineNumber, "expected KEY=VALUE")
            }
            let key = String(line[..<eq]).trimmingWhitespace()
            guard isValidKey(key) else { throw bad(lineNumber, "invalid variable name") }
            let rest = line[line.index(after: eq)...].drop(while: { $0 == " " || $0 == "\t" })
            result[key] = try parseValue(rest, lineNumber: lineNumber)
        }
        return result
    }

    private static func parseValue(_ text: Substring, lineNumber: Int) throws(ConfigError) -> String {
        guard let first = text.first else { return "" }
        if first == "\"" || first == "'" {
            var value = ""
            var index = text.index(after: text.startIndex)
            var closed = false
            while index < text.endIndex {
                let c = text[index]
                if c == first {
                    closed = true
                    index = text.index(after: index)
                    break
                }
                if c == "\\" && first == "\"" {
                    let next = text.index(after: index)
                    guard next < text.endIndex else { break }
                    switch text[next] {
                    case "n": value.append("\n")
                    case "t": value.append("\t")
                    case "r": value.append("\r")
                    case "\"": value.append("\"")
                    case "\\": value.append("\\")
                    case "$": value.append("$")
                    default:
                        value.append("\\")
                        value.append(text[next])
                    }
                    index = text.index(after: next)
                    continue
                }
                value.append(c)
                index = text.index(after: index)
            }
            guard closed else { throw bad(lineNumber, "unterminated quoted value") }
            let trailing = text[index...].drop(while: { $0 == " " || $0 == "\t" })
            guard trailing.isEmpty || trailing.hasPrefix("#") else {
                throw bad(lineNumber, "unexpected text after the closing quote")
            }
            return value
        }
        var value = String(text)
        if let hash = value.range(of: " #") ?? value.range(of: "\t#") {
            value = String(value[..<hash.lowerBound])
        }
        return value.trimmingWhitespace()
    }

    private static func isValidKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first == "_" || isASCIILetter(first) else { return false }
        return key.unicodeScalars.allSatisfy { $0 == "_" || isASCIILetter($0) || ("0"..."9").contains($0) }
    }

    private static func isASCIILetter(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s)
    }

    private static func bad(_ line: Int, _ why: String) -> ConfigError {
        ConfigError(variable: ".env", message: ".env line \(line): \(why)")
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs, CR and LF (Foundation-free).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start...end])
    }
}
