import CheckoutAPI
import Foundation
import Logging
import Testing

@Suite("StructuredLogHandler")
struct StructuredLogHandlerTests {
    @Test("JSON: one object per line with ts, level, msg, logger and flattened metadata")
    func jsonLine() throws {
        let sink = LogSink.memory()
        var logger = Logger(
            label: "test", factory: StructuredLogHandler.factory(format: .json, level: .info, sink: sink))
        logger[metadataKey: "request_id"] = "r1"
        logger.info(
            "hello \"world\"\n",
            metadata: [
                "status": .stringConvertible(201), "ok": .stringConvertible(true),
                "order": ["id": "o1", "number": "DO-1"], "tags": ["a", "b"], "msg": "shadow",
            ])
        logger.debug("not written")
        #expect(sink.lines.count == 1)
        let line = try #require(sink.lines.first)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["msg"] as? String == "hello \"world\"\n")
        #expect(object["logger"] as? String == "test")
        #expect(object["request_id"] as? String == "r1")
        #expect(object["status"] as? Int == 201)
        #expect(object["ok"] as? Bool == true)
        #expect(object["order.id"] as? String == "o1")
        #expect(object["tags"] as? [String] == ["a", "b"])
        #expect(object["meta.msg"] as? String == "shadow")
        let ts = try #require(object["ts"] as? String)
        #expect(ts.count == 24 && ts.hasSuffix("Z"))
    }

    @Test("text format for humans")
    func textLine() {
        let sink = LogSink.memory()
        let logger = Logger(label: "t", factory: StructuredLogHandler.factory(format: .text, level: .trace, sink: sink))
        logger.warning("careful", metadata: ["k": "two words", "n": "1"])
        let line = sink.lines.first ?? ""
        #expect(line.contains(" WARNING t: careful"))
        #expect(line.contains("k=\"two words\""))
        #expect(line.hasSuffix("n=1"))
    }

    @Test("registered secrets are scrubbed from every line")
    func scrubs() throws {
        let sink = LogSink.memory()
        let config = try AppConfig.load(environment: [
            "DATABASE_URL": "postgres://u:dbpassword1@h/db", "STRIPE_SECRET_KEY": "sk_test_SECRETKEY123",
            "ADMIN_TOKEN": "admintoken-123456", "STRIPE_WEBHOOK_SECRET": "whsec_WEBHOOKSECRET",
        ])
        let logger = config.makeLogger(label: "x", sink: sink)
        logger.error(
            "upstream said sk_test_SECRETKEY123 / whsec_WEBHOOKSECRET", metadata: ["h": "Bearer admintoken-123456"])
        logger.info("start", metadata: config.logSummary)
        let all = sink.lines.joined(separator: "\n")
        #expect(!all.contains("SECRETKEY123"))
        #expect(!all.contains("WEBHOOKSECRET"))
        #expect(!all.contains("admintoken-123456"))
        #expect(!all.contains("dbpassword1"))
        #expect(all.contains("[redacted]"))
    }
}
