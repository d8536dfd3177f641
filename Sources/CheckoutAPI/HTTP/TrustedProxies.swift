import Foundation
import Glibc
import HTTPServer

/// `TRUSTED_PROXIES`: the reverse proxies whose `X-Forwarded-For` / `Forwarded` headers name the client.
///
/// Why: behind a proxy every request comes from the proxy's address, so the rate limiter would put all
/// customers in one bucket and the access log would name the proxy. Trusting the headers from anyone,
/// though, lets a client pick its own address (and its own rate-limit bucket). So the headers are read
/// only when the peer is inside one of these networks, and then from the right: each hop appends the
/// address it saw, so the first address from the right that is not a trusted proxy is the client
/// (anything left of it was written by the client itself). `X-Forwarded-For` wins over `Forwarded`
/// (RFC 7239) when both are present. Anything unparsable falls back to the peer address.
public struct TrustedProxies: Sendable, Equatable {
    /// One network: the address bytes (4 for IPv4, 16 for IPv6) and the prefix length.
    public struct Network: Sendable, Equatable, CustomStringConvertible {
        var bytes: [UInt8]
        var prefix: Int

        /// Parses `a.b.c.d[/n]` or an IPv6 literal `[/n]`; nil when malformed.
        public init?(_ text: String) {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let bytes = TrustedProxies.addressBytes(String(parts[0])) else { return nil }
            let bits = bytes.count * 8
            var prefix = bits
            if parts.count == 2 {
                guard let n = Int(parts[1]), (0...bits).contains(n), parts[1].allSatisfy(\.isNumber) else { return nil }
                prefix = n
            }
            self.bytes = bytes
            self.prefix = prefix
        }

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var remaining = prefix
            for (a, b) in zip(address, bytes) where remaining > 0 {
                let take = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
                if a & mask != b & mask { return false }
                remaining -= take
            }
            return true
        }

        public var description: String {
            (TrustedProxies.text(bytes) ?? "?") + "/\(prefix)"
        }
    }

    /// The trusted networks (empty: headers are never used).
    public var networks: [Network]

    public init(_ networks: [Network] = []) { self.networks = networks }

    /// A malformed entry of a `TRUSTED_PROXIES` list (1-based position).
    public struct BadEntry: Error, Equatable {
        public var position: Int
    }

    /// Parses a comma-separated CIDR list.
    public static func parse(_ list: String) -> Result<TrustedProxies, BadEntry> {
        var networks: [Network] = []
        for (index, part) in list.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let entry = part.trimmingCharacters(in: .whitespaces)
            guard let network = Network(entry) else { return .failure(BadEntry(position: index + 1)) }
            networks.append(network)
        }
        return .success(TrustedProxies(networks))
    }

    func isTrusted(_ address: [UInt8]) -> Bool { networks.contains { $0.contains(address) } }

    /// The client address for a request from `peer` (`1.2.3.4:5678` or `[::1]:5678`) with `headers`.
    public func clientAddress(peer: String, headers: HTTPHeaders) -> String {
        let peerHost = RateLimitMiddleware.clientKey(peer)
        guard !networks.isEmpty, let peerBytes = Self.addressBytes(peerHost), isTrusted(peerBytes) else { return peer }
        var chain: [String] = []
        let forwardedFor = headers.values("X-Forwarded-For")
        if !forwardedFor.isEmpty {
            for value in forwardedFor {
                chain += value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
        } else {
            for value in headers.values("Forwarded") {
                for element in value.split(separator: ",") {
                    for pair in element.split(separator: ";") {
                        let kv = pair.trimmingCharacters(in: .whitespaces)
                        guard kv.lowercased().hasPrefix("for=") else { continue }
                        var node = String(kv.dropFirst(4))
                        if node.hasPrefix("\""), node.hasSuffix("\""), node.count >= 2 {
                            node = String(node.dropFirst().dropLast())
                        }
                        chain.append(RateLimitMiddleware.clientKey(node))
                    }
                }
            }
        }
        guard !chain.isEmpty, chain.count <= 64 else { return peer }
        for hop in chain.reversed() {
            guard let bytes = Self.addressBytes(hop) else { return peer }  // "unknown", obfuscated, junk
            if !isTrusted(bytes) { return Self.text(bytes) ?? peer }
        }
        // Every hop is a trusted proxy: the leftmost is the closest thing to a client.
        return Self.addressBytes(chain[0]).flatMap(Self.text) ?? peer
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 literal (inet_pton), nil otherwise.
    static func addressBytes(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// The canonical text of 4 or 16 address bytes (inet_ntop).
    static func text(_ bytes: [UInt8]) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, 64) != nil }
        guard ok else { return nil }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Replaces `remoteAddress` with the client address `TrustedProxies` finds, before anything logs or
/// rate-limits the request (so both see the customer, not the proxy).
struct ClientAddressMiddleware: HTTPMiddleware {
    let proxies: TrustedProxies

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        var request = request
        request.remoteAddress = proxies.clientAddress(peer: request.remoteAddress, headers: request.headers)
        return try next(request)
    }
}
