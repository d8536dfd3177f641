/// Turns a response into the exact bytes written to the socket: status line, headers, body, in one
/// buffer so each response leaves in a single `send`.
///
/// The encoder owns framing: `Content-Length`, `Date` and `Connection` are written here and any the
/// handler set are dropped; header fields whose name is not a token or whose value contains CR, LF or
/// NUL are dropped too (no response splitting through a handler that echoes input).
public enum HTTPResponseEncoder {
    /// The bytes for `response`. `headOnly` drops the body (HEAD requests) but keeps its length.
    public static func encode(
        _ response: HTTPResponse, headOnly: Bool, keepAlive: Bool, requestVersionMinor: Int, date: String
    ) -> [UInt8] {
        let status = response.status
        let noBody = status.forbidsBody
        var out: [UInt8] = []
        out.reserveCapacity(192 + response.headers.count * 32 + (headOnly || noBody ? 0 : response.body.count))
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status.code, to: &out)
        out.append(32)
        for byte in status.reason.utf8 where byte >= 0x20 && byte != 0x7F { out.append(byte) }
        out.append(contentsOf: "\r\n".utf8)
        for field in response.headers {
            if isFramingField(field.name) { continue }
            guard isValidName(field.name), isValidValue(field.value) else { continue }
            appendUTF8(field.name, to: &out)
            out.append(contentsOf: ": ".utf8)
            appendUTF8(field.value, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        if !noBody {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(response.body.count, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "Date: ".utf8)
        appendUTF8(date, to: &out)
        out.append(contentsOf: "\r\n".utf8)
        if !keepAlive {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if requestVersionMinor == 0 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if !headOnly && !noBody { out.append(contentsOf: response.body) }
        return out
    }

    /// The interim `100 Continue` response.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { buf in
            while v > 0 && count < 20 {
                buf[count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buf[i]) }
        }
    }

    /// `Content-Length`, `Transfer-Encoding`, `Connection` or `Date`, in any case (lengths compared first).
    static func isFramingField(_ name: String) -> Bool {
        switch name.utf8.count {
        case 14: HTTPHeaders.equalsIgnoringCase(name, "Content-Length")
        case 17: HTTPHeaders.equalsIgnoringCase(name, "Transfer-Encoding")
        case 10: HTTPHeaders.equalsIgnoringCase(name, "Connection")
        case 4: HTTPHeaders.equalsIgnoringCase(name, "Date")
        default: false
        }
    }

    /// Appends the UTF-8 of `text` in one copy when it is stored contiguously (native strings are).
    @inline(__always) static func appendUTF8(_ text: String, to out: inout [UInt8]) {
        if text.utf8.withContiguousStorageIfAvailable({ out.append(contentsOf: $0) }) == nil {
            out.append(contentsOf: text.utf8)
        }
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty
            && (name.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(HTTPRequestParser.isTokenByte) }
                ?? name.utf8.allSatisfy(HTTPRequestParser.isTokenByte))
    }

    static func isValidValue(_ value: String) -> Bool {
        value.utf8.withContiguousStorageIfAvailable { $0.allSatisfy { $0 >= 0x20 || $0 == 9 } }
            ?? value.utf8.allSatisfy { $0 >= 0x20 || $0 == 9 }
    }
}
