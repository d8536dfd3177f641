import Foundation
import Testing

@testable import HTTPServer

/// `JSONText.appendString`'s fast path (no escaping needed) and its escaping path give valid JSON that
/// reads back as the original string.
@Suite struct JSONTextTests {
    @Test(arguments: [
        "", "plain ascii", "route /api/orders/by-session/:sessionId", "quote \" backslash \\",
        "line\nbreak\r\ttab", "nul \u{00} and \u{1F}", "é 日本 😀", "\u{2028}line\u{2029}separators",
        "â (0xE2 lead byte, not a separator)", "\u{7F} delete",
    ])
    func roundTrips(_ value: String) throws {
        var out = ""
        JSONText.appendString(value, to: &out)
        let decoded = try JSONSerialization.jsonObject(with: Data("[\(out)]".utf8)) as? [String]
        #expect(decoded == [value])
        #expect(!out.contains("\u{2028}") && !out.contains("\u{2029}"))
        #expect(!out.utf8.dropFirst().dropLast().contains { $0 < 0x20 })
    }

    @Test func plainStringsAreCopiedVerbatim() {
        var out = "x"
        JSONText.appendString("request", to: &out)
        #expect(out == #"x"request""#)
        #expect(JSONText.needsNoEscaping("abc /:-_.0123"))
        #expect(!JSONText.needsNoEscaping("a\"b"))
        #expect(!JSONText.needsNoEscaping("\u{2028}"))
    }
}
