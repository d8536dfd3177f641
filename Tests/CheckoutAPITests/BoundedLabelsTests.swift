import Foundation
import Testing
import TestSupport

/// `/metrics` and the access log stay bounded whatever a client invents: methods outside the known set
/// are 501 before routing (and would be `other` as a label), paths are labelled by route pattern.
@Suite("Bounded labels (checkoutd process, real Postgres)")
struct BoundedLabelsTests {
    /// Resident set size of `pid` in KiB, from /proc.
    static func rssKiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ")[1])
        }
        return nil
    }

    /// Sends `count` requests with invented methods (one connection each: a 501 closes it) and `count`
    /// GETs of invented paths over one keep-alive connection.
    static func invent(_ count: Int, port: Int, round: Int) throws {
        for i in 0..<count {
            let r = try TestHTTPClient.request(port: port, method: "X\(round)M\(i)", path: "/api/products")
            #expect(r.status == 501, "invented method answered \(r.status)")
            if r.status != 501 { return }
        }
        let connection = try RawHTTPConnection(port: port)
        defer { connection.close() }
        for i in 0..<count {
            let paths = ["/x\(round)-\(i)", "/api/orders/o\(round)-\(i)", "/api/orders/\(i)/x\(round)/y"]
            try connection.send("GET \(paths[i % 3]) HTTP/1.1\r\nHost: a\r\n\r\n")
            _ = try connection.readResponse()
        }
    }

    static func seriesCount(_ metrics: String) -> Int {
        metrics.split(separator: "\n").filter { $0.hasPrefix("http_requests_total{") }.count
    }

    @Test("thousands of invented methods and paths: series count, /metrics size and RSS stay flat")
    func inventedMethodsAndPaths() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let p = try CheckoutdProcessTests.Running(
            ["serve"],
            env: CheckoutdProcessTests.env([
                "DATABASE_URL": db.url, "PORT": "0", "LOG_LEVEL": "warning", "RATE_LIMIT_PER_MINUTE": "0",
            ]))
        defer { if p.process.isRunning { kill(p.process.processIdentifier, SIGKILL) } }
        var port: Int?
        _ = eventually(timeout: .seconds(60)) {
            if let match = p.stdout.firstMatch(of: #/listening on http://127\.0\.0\.1:(\d+)/#) { port = Int(match.1) }
            return port != nil || !p.process.isRunning
        }
        let bound = try #require(port, "no listening line; stderr: \(p.stderr)")
        let pid = p.process.processIdentifier

        // Warm up (first allocations, every label the invented requests can produce), then measure.
        try Self.invent(300, port: bound, round: 0)
        _ = try TestHTTPClient.request(port: bound, method: "GET", path: "/metrics")  // its own series
        let before = try TestHTTPClient.request(port: bound, method: "GET", path: "/metrics").text
        let rssBefore = try #require(Self.rssKiB(pid))
        try Self.invent(2000, port: bound, round: 1)
        let after = try TestHTTPClient.request(port: bound, method: "GET", path: "/metrics").text
        let rssAfter = try #require(Self.rssKiB(pid))

        #expect(Self.seriesCount(after) == Self.seriesCount(before), "new series: \(Self.seriesCount(after))")
        #expect(Self.seriesCount(after) < 20)
        #expect(after.utf8.count < before.utf8.count + 1024, "/metrics grew \(before.utf8.count) → \(after.utf8.count)")
        #expect(!after.contains("X1M"), "an invented method became a label")
        #expect(rssAfter - rssBefore < 8 * 1024, "RSS grew \(rssBefore) → \(rssAfter) KiB")
    }
}
