import Foundation
import Postgres

/// Validly signed events that cannot be stored or decoded as received.
///
/// Stripe retries a non-2xx delivery for up to three days (https://docs.stripe.com/webhooks#retries),
/// so an answer that can never change is a loop. The contract allows a 5xx only when the event could
/// not be committed for a transient reason. An event that is valid JSON but that Postgres refuses as
/// received (jsonb rejects a lone `\ud800`; `created` beyond Postgres' timestamps) or that does not decode
/// as our event model (a number no integer holds) is therefore stored in a form that can be stored —
/// its raw bytes as base64 inside a small JSON object — recorded as `ignored` with the reason, linked to
/// its order when one can be found (so the admin event history shows it), and acknowledged. It is not
/// applied: the reconciler and admin sync read the session from Stripe instead.
extension WebhookProcessor {
    /// What can be read from any JSON event body, without the typed model.
    struct LenientEnvelope {
        var id: String
        var type: String
        var livemode: Bool
        var apiVersion: String?
        /// Seconds since 1970, nil when absent or not an integer Postgres can turn into a timestamp.
        var created: Int64?
        var orderIDHint: UUID?
        var sessionID: String?

        /// nil unless `payload` is a JSON object with a string `id` (1–255 bytes) and `type`.
        init?(_ payload: [UInt8]) {
            let readable = WebhookProcessor.readableJSON(payload)
            guard let object = try? JSONSerialization.jsonObject(with: Data(readable)) as? [String: Any],
                let id = object["id"] as? String, (1...255).contains(id.utf8.count),
                let type = object["type"] as? String, (1...255).contains(type.utf8.count)
            else { return nil }
            self.id = id
            self.type = type
            livemode = (object["livemode"] as? Bool) ?? false
            apiVersion = (object["api_version"] as? String).map { String($0.prefix(64)) }
            if let number = object["created"] as? NSNumber, let seconds = Int64(exactly: number.doubleValue) {
                created = seconds
            }
            let inner = (object["data"] as? [String: Any])?["object"] as? [String: Any]
            let metadata = inner?["metadata"] as? [String: Any]
            orderIDHint = (metadata?["order_id"] as? String).flatMap(UUID.init(uuidString:))
            if inner?["object"] as? String == "checkout.session" { sessionID = inner?["id"] as? String }
        }
    }

    /// A copy of a JSON text Foundation's parser accepts, for reading the envelope only: lone surrogate
    /// escapes (valid JSON grammar, refused by Foundation and by jsonb) become `\ufffd`, and numbers
    /// beyond a Double (`1e400`) become `0`. Everything else is copied byte for byte.
    static func readableJSON(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        var inString = false
        func hex4(at index: Int) -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for byte in bytes[index..<(index + 4)] {
                guard let digit = Character(UnicodeScalar(byte)).hexDigitValue else { return nil }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        let replacement = Array(#"\ufffd"#.utf8)
        while i < bytes.count {
            let byte = bytes[i]
            if inString {
                if byte == UInt8(ascii: "\"") {
                    inString = false
                } else if byte == UInt8(ascii: "\\"), i + 1 < bytes.count {
                    if bytes[i + 1] == UInt8(ascii: "u"), let unit = hex4(at: i + 2), (0xD800...0xDFFF).contains(unit) {
                        let paired =
                            unit < 0xDC00 && i + 12 <= bytes.count && bytes[i + 6] == UInt8(ascii: "\\")
                            && bytes[i + 7] == UInt8(ascii: "u")
                            && hex4(at: i + 8).map { (0xDC00...0xDFFF).contains($0) } == true
                        if paired {
                            out.append(contentsOf: bytes[i..<(i + 12)])
                            i += 12
                        } else {
                            out.append(contentsOf: replacement)
                            i += 6
                        }
                        continue
                    }
                    out.append(byte)
                    out.append(bytes[i + 1])
                    i += 2
                    continue
                }
                out.append(byte)
                i += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39) {
                var end = i + 1
                while end < bytes.count, Self.isNumberByte(bytes[end]) { end += 1 }
                let token = bytes[i..<end]
                if let value = Double(String(decoding: token, as: UTF8.self)), value.isFinite {
                    out.append(contentsOf: token)
                } else {
                    out.append(UInt8(ascii: "0"))
                }
                i = end
                continue
            }
            out.append(byte)
            i += 1
        }
        return out
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
            || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }

    /// Latest `created` stored as is: 9999-12-31T23:59:59Z.
    static let maxStoredCreated: Int64 = 253_402_300_799

    /// Whether a Postgres failure is about the data (SQLSTATE class 22: invalid text, untranslatable
    /// character, value out of range): the same bytes will fail the same way on every delivery.
    static func isPermanentDataError(_ error: any Error) -> Bool {
        guard let postgres = error as? PostgresError, let state = postgres.sqlState else { return false }
        return state.hasPrefix("22")
    }

    /// Stores `envelope` with the raw `payload` as base64, recorded as not applied because of `reason`.
    func storeUnprocessable(_ envelope: LenientEnvelope, payload: [UInt8], reason: String) throws(CheckoutError)
        -> WebhookOutcome
    {
        let detail = "not applied: \(reason); stored as raw bytes (base64)"
        let stored: [String: Any] = ["unprocessable": detail, "raw_base64": Data(payload).base64EncodedString()]
        let json = (try? JSONSerialization.data(withJSONObject: stored, options: [.sortedKeys])) ?? Data("{}".utf8)
        let created = envelope.created.flatMap { (0...Self.maxStoredCreated).contains($0) ? $0 : nil }
        do {
            return try pool.transaction { db -> WebhookOutcome in
                let inserted = try events.insertIfNew(
                    db, id: envelope.id, type: envelope.type, livemode: envelope.livemode,
                    apiVersion: envelope.apiVersion, created: created ?? Int64(Date().timeIntervalSince1970),
                    payload: String(decoding: json, as: UTF8.self))
                guard inserted else { return .duplicate(eventID: envelope.id) }
                var orderID: UUID?
                if let hint = envelope.orderIDHint, try orders.order(db, id: hint) != nil { orderID = hint }
                if orderID == nil, let sessionID = envelope.sessionID {
                    orderID = try orders.orderID(db, sessionID: sessionID)
                }
                try events.recordResult(db, id: envelope.id, orderID: orderID, result: "ignored", detail: detail)
                return .ignored(eventID: envelope.id, reason: detail)
            }
        } catch {
            throw CheckoutError.wrapping(error)
        }
    }
}
