import CheckoutAPI
import Foundation
import HTTPServer
import Testing
import TestSupport

@Suite("TRUSTED_PROXIES: forwarded client addresses, only from trusted peers")
struct TrustedProxiesTests {
    static func proxies(_ list: String) -> TrustedProxies {
        guard case .success(let p) = TrustedProxies.parse(list) else { fatalError("bad list \(list)") }
        return p
    }

    /// (trusted list, peer, headers, expected client address).
    static let cases: [(String, String, [(String, String)], String)] = [
        ("", "127.0.0.1:5000", [("X-Forwarded-For", "9.9.9.9")], "127.0.0.1:5000"),
        ("127.0.0.1", "127.0.0.1:5000", [("X-Forwarded-For", "9.9.9.9")], "9.9.9.9"),
        ("127.0.0.1", "127.0.0.1:5000", [], "127.0.0.1:5000"),
        ("127.0.0.1", "192.0.2.1:5000", [("X-Forwarded-For", "9.9.9.9")], "192.0.2.1:5000"),
        // The client may write anything left of what the trusted proxies appended.
        ("127.0.0.1", "127.0.0.1:5000", [("X-Forwarded-For", "6.6.6.6, 9.9.9.9")], "9.9.9.9"),
        ("127.0.0.1", "127.0.0.1:5000", [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "9.9.9.9")], "9.9.9.9"),
        ("10.0.0.0/8, 127.0.0.1/32", "127.0.0.1:1", [("X-Forwarded-For", "6.6.6.6, 9.9.9.9, 10.1.2.3")], "9.9.9.9"),
        ("10.0.0.0/8,127.0.0.1", "127.0.0.1:1", [("X-Forwarded-For", "10.0.0.1, 10.0.0.2")], "10.0.0.1"),
        ("127.0.0.1", "127.0.0.1:1", [("X-Forwarded-For", "unknown")], "127.0.0.1:1"),
        ("127.0.0.1", "127.0.0.1:1", [("X-Forwarded-For", "9.9.9.9, junk")], "127.0.0.1:1"),
        ("::1/128", "[::1]:5000", [("X-Forwarded-For", "2001:DB8::7")], "2001:db8::7"),
        ("127.0.0.1", "127.0.0.1:1", [("Forwarded", #"for="[2001:db8::1]:4711";proto=https"#)], "2001:db8::1"),
        (
            "127.0.0.1", "127.0.0.1:1", [("Forwarded", "for=6.6.6.6, for=192.0.2.60;proto=http;by=203.0.113.43")],
            "192.0.2.60"
        ),
        ("127.0.0.1", "127.0.0.1:1", [("Forwarded", "for=6.6.6.6"), ("X-Forwarded-For", "9.9.9.9")], "9.9.9.9"),
        ("127.0.0.0/8", "127.0.0.5:1", [("X-Forwarded-For", "9.9.9.9")], "9.9.9.9"),
        ("127.0.0.0/31", "127.0.0.2:1", [("X-Forwarded-For", "9.9.9.9")], "127.0.0.2:1"),
    ]

    @Test("client address rules", arguments: cases)
    func rules(trusted: String, peer: String, headers: [(String, String)], expected: String) {
        let proxies = trusted.isEmpty ? TrustedProxies() : Self.proxies(trusted)
        var h = HTTPHeaders()
        for (name, value) in headers { h.add(name, value) }
        #expect(proxies.clientAddress(peer: peer, headers: h) == expected, "\(trusted) \(peer) \(headers)")
    }

    @Test("malformed lists are refused", arguments: ["10.0.0.0/33", "abc", "", "10.0.0.0/8,", "::1/129", "1.2.3.4/x"])
    func malformed(list: String) {
        guard case .failure = TrustedProxies.parse(list) else {
            Issue.record("\(list) accepted")
            return
        }
    }

    /// A TCP port nobody listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw TestHTTPError("no free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test("behind a real haproxy: rate limit and access log see each client; without TRUSTED_PROXIES all share one")
    func behindHAProxy() throws {
        let haproxy = try #require(
            ["/usr/sbin/haproxy", "/usr/bin/haproxy"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "haproxy is not installed (scripts/deps.sh installs it; `make test` runs deps first)")
        func limited(_ config: inout AppConfig) {
            config.rateLimitPerMinute = 1
            config.rateLimitBurst = 2
        }
        let trusting = try AppHarness.start {
            limited(&$0)
            $0.trustedProxies = Self.proxies("127.0.0.1/32")
        }
        defer { trusting.stop() }
        let plain = try AppHarness.start { limited(&$0) }
        defer { plain.stop() }

        let (front, frontPlain) = (try Self.freePort(), try Self.freePort())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("haproxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = """
            global
              maxconn 200
            defaults
              mode http
              timeout connect 5s
              timeout client 10s
              timeout server 10s
              option forwardfor
            frontend trusting
              bind 127.0.0.1:\(front)
              default_backend trusting
            backend trusting
              server app 127.0.0.1:\(trusting.port)
            frontend plain
              bind 127.0.0.1:\(frontPlain)
              default_backend plain
            backend plain
              server app 127.0.0.1:\(plain.port)

            """
        let configURL = dir.appendingPathComponent("haproxy.cfg")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: haproxy)
        process.arguments = ["-db", "-f", configURL.path]
        let logURL = dir.appendingPathComponent("haproxy.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: logURL)
        process.standardError = process.standardOutput
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let up = eventually(timeout: .seconds(20)) {
            (try? TestHTTPClient.request(port: front, method: "GET", path: "/healthz").status) == 200
                && (try? TestHTTPClient.request(port: frontPlain, method: "GET", path: "/healthz").status) == 200
        }
        try #require(
            up, "haproxy did not come up: \(String(decoding: (try? Data(contentsOf: logURL)) ?? Data(), as: UTF8.self))"
        )

        let path = "/api/orders/00000000-0000-4000-8000-000000000000/retry-session"
        func post(_ port: Int, from source: String, headers: [(String, String)] = []) throws -> Int {
            try TestHTTPClient.request(port: port, method: "POST", path: path, headers: headers, source: source).status
        }
        // Trusted: each client has its own bucket, and a forged X-Forwarded-For does not move it.
        let a = try (0..<3).map { _ in try post(front, from: "127.0.0.2", headers: [("X-Forwarded-For", "6.6.6.6")]) }
        #expect(a == [404, 404, 429], "\(a)")
        #expect(try post(front, from: "127.0.0.3") == 404, "another client behind the proxy is not limited")
        let remotes = trusting.logs.lines.filter { $0.contains(#""route":"/api/orders/:orderId/retry-session""#) }
        #expect(remotes.contains { $0.contains(#""remote":"127.0.0.2""#) }, "\(remotes)")
        #expect(remotes.contains { $0.contains(#""remote":"127.0.0.3""#) }, "\(remotes)")
        #expect(!remotes.contains { $0.contains("6.6.6.6") }, "a client-written address was believed")
        // Direct, not through the proxy: the header is the client's own claim and is ignored.
        #expect(try post(trusting.port, from: "127.0.0.4", headers: [("X-Forwarded-For", "127.0.0.2")]) == 404)

        // Not trusted: every request comes from haproxy's address, so the clients share one bucket.
        #expect(try (0..<2).map { _ in try post(frontPlain, from: "127.0.0.2") } == [404, 404])
        #expect(try post(frontPlain, from: "127.0.0.3") == 429)
        let plainRemotes = plain.logs.lines.filter { $0.contains(#""route":"/api/orders/:orderId/retry-session""#) }
        #expect(!plainRemotes.contains { $0.contains("127.0.0.2") || $0.contains("127.0.0.3") }, "\(plainRemotes)")
    }
}
