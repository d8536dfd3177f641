import Foundation

/// An e-mail address, optionally with a display name (`MAIL_FROM="Demo Shop <shop@example.com>"`).
public struct MailAddress: Sendable, Equatable {
    public var name: String?
    public var address: String

    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }

    /// `addr@host` or `Name <addr@host>` (the name may be quoted); nil when the address is not usable.
    public static func parse(_ text: String) -> MailAddress? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let open = t.lastIndex(of: "<"), t.hasSuffix(">") {
            let address = String(t[t.index(after: open)..<t.index(before: t.endIndex)])
            var name = t[..<open].trimmingCharacters(in: .whitespaces)
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast())
            }
            guard isUsable(address), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { return nil }
            return MailAddress(name: name.isEmpty ? nil : name, address: address)
        }
        return isUsable(t) ? MailAddress(address: t) : nil
    }

    /// One `@` with text on both sides, at most 254 characters, nothing that could end a header or an
    /// SMTP command (whitespace, controls, `<>`, quotes, commas).
    public static func isUsable(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return address.utf8.count <= 254 && parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && address.unicodeScalars.allSatisfy { scalar in
                scalar.value > 0x20 && scalar.value != 0x7F && !"<>\"(),;:\\[]".unicodeScalars.contains(scalar)
            }
    }

    /// The domain part (for Message-ID).
    var domain: String { address.split(separator: "@").last.map(String.init) ?? "localhost" }

    /// The header form: `"Name" <addr>` (RFC 2047 encoded when not plain ASCII), or the bare address.
    var header: String {
        guard let name, !name.isEmpty else { return address }
        return MailMessage.encodePhrase(name) + " <\(address)>"
    }
}

/// One e-mail as RFC 5322 bytes: a `multipart/alternative` of a text and an HTML part, both UTF-8 in
/// base64 (so no line of the body is ever long, starts with a dot, or carries a header), CRLF line ends.
/// Header values are stripped of line breaks and encoded (RFC 2047) when not ASCII: nothing the order
/// holds (a product title, a reason) can add a header.
public struct MailMessage: Sendable, Equatable {
    public var from: MailAddress
    public var to: String
    public var subject: String
    public var text: String
    public var html: String
    /// Without the angle brackets; the same for every attempt of one message.
    public var messageID: String
    public var date: Date
    /// The MIME boundary (fixed in tests; random otherwise).
    public var boundary: String

    public init(
        from: MailAddress, to: String, subject: String, text: String, html: String, messageID: String,
        date: Date = Date(), boundary: String = "=_checkout_" + UUID().uuidString.lowercased()
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
        self.boundary = boundary
    }

    /// The bytes handed to SMTP.
    public func render() -> [UInt8] {
        var lines = [
            "From: \(from.header)",
            "To: \(to)",
            "Subject: \(Self.encodeHeaderText(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "This is a multi-part message in MIME format.",
        ]
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            lines += [
                "--\(boundary)", "Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", "",
            ]
            lines += Self.base64Lines(Array(Self.crlf(body).utf8))
        }
        lines += ["--\(boundary)--", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// Any line breaks as CRLF.
    static func crlf(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .replacingOccurrences(of: "\n", with: "\r\n")
    }

    static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let encoded = Data(bytes).base64EncodedString()
        var out: [String] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            out.append(String(encoded[index..<end]))
            index = end
        }
        return out
    }

    /// Control characters (CR, LF, …) become spaces.
    static func singleLine(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    /// Plain printable ASCII stays as it is; anything else becomes RFC 2047 encoded words (UTF-8, base64),
    /// folded so no header line exceeds 78 characters.
    static func encodeHeaderText(_ raw: String) -> String {
        let text = singleLine(raw)
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }), text.count <= 70,
            !text.contains("=?")
        {
            return text
        }
        return encodedWords(text)
    }

    /// A display name: a quoted string when ASCII, else encoded words.
    static func encodePhrase(_ raw: String) -> String {
        let text = singleLine(raw)
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }), !text.contains("=?") {
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        return encodedWords(text)
    }

    private static func encodedWords(_ text: String) -> String {
        // At most 45 bytes per word (60 base64 characters), never splitting a character.
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
