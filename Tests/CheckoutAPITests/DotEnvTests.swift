import CheckoutAPI
import Testing

@Suite("DotEnv")
struct DotEnvTests {
    static let cases: [(String, [String: String])] = [
        ("", [:]),
        ("# only a comment\n\n", [:]),
        ("A=1", ["A": "1"]),
        ("A = 1 ", ["A": "1"]),
        ("export A=1", ["A": "1"]),
        ("A=1\r\nB=2\r\n", ["A": "1", "B": "2"]),
        ("A=\"x y\"", ["A": "x y"]),
        ("A=\"a\\nb\\\"c\\\\\"", ["A": "a\nb\"c\\"]),
        ("A='lit \\n $X'", ["A": "lit \\n $X"]),
        ("A=value # comment", ["A": "value"]),
        ("A=val#ue", ["A": "val#ue"]),
        ("A=\"v\" # comment", ["A": "v"]),
        ("A=", ["A": ""]),
        ("A=x=y", ["A": "x=y"]),
        ("A=1\nA=2", ["A": "2"]),
        ("  indented=ok", ["indented": "ok"]),
    ]

    @Test("parses", arguments: cases)
    func parses(text: String, expected: [String: String]) throws {
        #expect(try DotEnv.parse(text) == expected)
    }

    static let bad: [(String, String)] = [
        ("JUSTAWORD", ".env line 1: expected KEY=VALUE"),
        ("A=1\n1A=2", ".env line 2: invalid variable name"),
        ("A B=1", ".env line 1: invalid variable name"),
        ("A=\"open", ".env line 1: unterminated quoted value"),
        ("A='x' y", ".env line 1: unexpected text after the closing quote"),
    ]

    @Test("rejects with the line number", arguments: bad)
    func rejects(text: String, message: String) {
        #expect(throws: ConfigError(variable: ".env", message: message)) { try DotEnv.parse(text) }
    }
}
