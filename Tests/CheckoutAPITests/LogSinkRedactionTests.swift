import Foundation
import Testing

@testable import CheckoutAPI

/// The byte-level secret scrubbing of `LogSink` (every occurrence, anywhere in the line).
@Suite struct LogSinkRedactionTests {
    @Test(arguments: [
        ("no secret here", "sk_test_12345678", "no secret here"),
        ("sk_test_12345678", "sk_test_12345678", "[redacted]"),
        ("key=sk_test_12345678 end", "sk_test_12345678", "key=[redacted] end"),
        ("sk_test_12345678sk_test_12345678", "sk_test_12345678", "[redacted][redacted]"),
        ("a sk_test_12345678 b sk_test_12345678", "sk_test_12345678", "a [redacted] b [redacted]"),
        ("aaaaaaaaa", "aaaaaaaa", "[redacted]a"),
        ("é日本 whsec_ABCDEFGH 😀", "whsec_ABCDEFGH", "é日本 [redacted] 😀"),
        ("whsec_ABCDEFGH\u{301}", "whsec_ABCDEFGH", "[redacted]\u{301}"),
        ("sk_test_1234567", "sk_test_12345678", "sk_test_1234567"),
    ])
    func everyOccurrenceIsReplaced(_ line: String, _ secret: String, _ expected: String) {
        #expect(LogSink.redacting(secret, in: line) == expected)
    }

    @Test func memorySinkScrubsRegisteredSecrets() {
        let sink = LogSink.memory()
        sink.redact([Secret("sk_test_SECRETKEY123"), Secret("short")])
        sink.write("x sk_test_SECRETKEY123 y short")
        #expect(sink.lines == ["x [redacted] y short"])
    }
}

/// The log line's timestamp and the request id carried through a handler.
@Suite struct LogLineFieldsTests {
    @Test func timestampIsISO8601UTCWithMillisecondsAndNow() throws {
        let before = Date()
        let ts = StructuredLogHandler.timestamp()
        #expect(ts.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
        let parsed = try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(ts)
        #expect(abs(parsed.timeIntervalSince(before)) < 5)
    }

    @Test func requestIDIsBoundForTheBodyAndRestoredAfter() {
        #expect(RequestContext.requestID == nil)
        RequestContext.withRequestID("outer") {
            #expect(RequestContext.requestID == "outer")
            RequestContext.withRequestID("inner") { #expect(RequestContext.requestID == "inner") }
            #expect(RequestContext.requestID == "outer")
            let other = DispatchSemaphore(value: 0)
            let seen = Box()
            Thread {
                seen.value = RequestContext.requestID ?? "none"
                other.signal()
            }.start()
            #expect(other.wait(timeout: .now() + 10) == .success)
            #expect(seen.value == "none")
        }
        #expect(RequestContext.requestID == nil)
    }

    final class Box: @unchecked Sendable {  // written by one thread, read after a semaphore
        var value = ""
    }
}
