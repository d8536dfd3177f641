/// Where and how to submit mail: parsed from `SMTP_URL` (`smtp://user:pass@host:port` with STARTTLS
/// required, `smtps://…` with TLS from the first byte), never printed with its password.
public struct SMTPServer: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is protected.
    public enum Security: String, Sendable, Equatable {
        /// `smtps://`: TLS from the first byte (port 465 by default).
        case implicitTLS = "tls"
        /// `smtp://`: plain connect, then STARTTLS, which must succeed (port 587 by default).
        case startTLS = "starttls"
        /// `smtp://` with STARTTLS turned off: only for a relay on this machine, without credentials.
        case none
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    /// Only handed to libcurl; never in ``description``.
    public var password: String?
    /// A PEM bundle of the CAs to trust instead of the system's (a private relay, the tests).
    public var caFile: String?
    /// Seconds the whole submission may take (connect, TLS, AUTH, DATA).
    public var timeout: Double

    public init(
        host: String, port: Int, security: Security, username: String? = nil, password: String? = nil,
        caFile: String? = nil, timeout: Double = 30
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.caFile = caFile
        self.timeout = timeout
    }

    /// Why `SMTP_URL` was refused (no value in it is repeated).
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case scheme, host, port, plaintextCredentials, plaintextRemote

        public var description: String {
            switch self {
            case .scheme: return "must start with smtp:// or smtps://"
            case .host: return "must name a host"
            case .port: return "has a bad port (1–65535)"
            case .plaintextCredentials: return "carries credentials, which are never sent without TLS"
            case .plaintextRemote: return "without STARTTLS may only name this machine (localhost, 127.0.0.0/8, ::1)"
            }
        }
    }

    /// Parses `smtp[s]://[user[:password]@]host[:port][/]`; user and password are percent-decoded.
    /// `startTLS: false` turns STARTTLS off for `smtp://` (a local relay or mail catcher only).
    public static func parse(_ text: String, startTLS: Bool = true, caFile: String? = nil, timeout: Double = 30)
        -> Result<SMTPServer, ParseError>
    {
        let security: Security
        var rest: Substring
        if text.lowercased().hasPrefix("smtps://") {
            security = .implicitTLS
            rest = text.dropFirst("smtps://".count)
        } else if text.lowercased().hasPrefix("smtp://") {
            security = startTLS ? .startTLS : .none
            rest = text.dropFirst("smtp://".count)
        } else {
            return .failure(.scheme)
        }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else { return .failure(.host) }
            rest = rest[..<slash]
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                username = String(userInfo[..<colon]).removingPercentEncodingSafely
                password = String(userInfo[userInfo.index(after: colon)...]).removingPercentEncodingSafely
            } else {
                username = String(userInfo).removingPercentEncodingSafely
            }
            if username?.isEmpty == true { username = nil }
        }
        var host = String(rest)
        var port = security == .implicitTLS ? 465 : 587
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(.host) }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { return .failure(.port) }
                port = p
            } else if !after.isEmpty {
                return .failure(.host)
            }
            host = String(host[...close])
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                return .failure(.port)
            }
            port = p
            host = String(host[..<colon])
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:[]".contains($0) }) else {
            return .failure(.host)
        }
        if security == .none {
            guard username == nil, password == nil else { return .failure(.plaintextCredentials) }
            guard isLoopback(host) else { return .failure(.plaintextRemote) }
        }
        return .success(
            SMTPServer(
                host: host, port: port, security: security, username: username, password: password, caFile: caFile,
                timeout: timeout))
    }

    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "[::1]" || h.hasPrefix("127.") && h.split(separator: ".").count == 4
    }

    /// The URL libcurl connects to: no credentials in it (they go through their own options).
    var curlURL: String {
        "\(security == .implicitTLS ? "smtps" : "smtp")://\(host):\(port)/checkout-server"
    }

    /// `smtp://host:port (starttls, auth as user)`: never the password.
    public var description: String {
        "\(security == .implicitTLS ? "smtps" : "smtp")://\(host):\(port) (\(security.rawValue)"
            + (username.map { ", auth as \($0)" } ?? "") + ")"
    }
}

extension String {
    fileprivate var removingPercentEncodingSafely: String {
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let b = utf8.first {
            utf8 = utf8.dropFirst()
            if b == UInt8(ascii: "%"), utf8.count >= 2,
                let v = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
