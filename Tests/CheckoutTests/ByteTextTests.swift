import Testing

@testable import Checkout

/// Byte-level replace: every non-overlapping occurrence, left to right, anywhere in the text.
@Suite struct ByteTextTests {
    @Test(arguments: [
        (#"{"a":"x"}"#, #"\u0000"#, #"\ufffd"#, #"{"a":"x"}"#),
        (#"{"a":"\u0000"}"#, #"\u0000"#, #"\ufffd"#, #"{"a":"\ufffd"}"#),
        (#"\u0000\u0000 and \u0000"#, #"\u0000"#, #"\ufffd"#, #"\ufffd\ufffd and \ufffd"#),
        ("aaaa", "aa", "b", "bb"),
        ("aaa", "aa", "b", "ba"),
        ("é 日本 needle 😀", "needle", "x", "é 日本 x 😀"),
        ("short", "longer needle", "x", "short"),
        ("anything", "", "x", "anything"),
    ])
    func replaces(_ text: String, _ needle: String, _ replacement: String, _ expected: String) {
        #expect(ByteText.replacing(needle, with: replacement, in: text) == expected)
    }
}
