import COpenSSL

/// HMAC-SHA256 through OpenSSL's one-shot `HMAC(EVP_sha256(), …)`; the 32-byte digest.
func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = key.withUnsafeBytes { k in
        message.withUnsafeBytes { m in
            digest.withUnsafeMutableBufferPointer { d in
                // A non-nil base address even for empty input: OpenSSL rejects NULL keys.
                HMAC(
                    EVP_sha256(), k.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(k.count),
                    m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count, d.baseAddress, &length)
            }
        }
    }
    precondition(ok != nil && length == 32, "OpenSSL HMAC-SHA256 failed")
    return Array(digest.prefix(32))
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Lowercase hex as bytes (what `v1=` carries).
func lowercaseHex(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(hexDigits[Int(b >> 4)])
        out.append(hexDigits[Int(b & 0x0F)])
    }
    return out
}

/// The expected `v1` for one secret: hex HMAC-SHA256(key = the whole secret string as UTF-8, including
/// the `whsec_` prefix, not base64-decoded; message = decimal `t` + `.` + the raw body bytes).
func expectedV1(payload: [UInt8], secret: String, timestamp: Int64) -> [UInt8] {
    var message = Array(String(timestamp).utf8)
    message.append(UInt8(ascii: "."))
    message.append(contentsOf: payload)
    return lowercaseHex(hmacSHA256(key: Array(secret.utf8), message: message))
}

/// Signs a payload the way Stripe does: `t=<timestamp>,v1=<hex>`.
///
/// Used by the simulator and by tests to produce deliveries our `WebhookVerifier` (and Stripe's own
/// libraries) accept. Sign the exact bytes you send.
public func stripeSignatureHeader(payload: [UInt8], secret: String, timestamp: Int64) -> String {
    stripeSignatureHeader(payload: payload, secrets: [secret], timestamp: timestamp)
}

/// Signs with several secrets at once, one `v1` per secret in the given order, as Stripe does while a
/// signing secret is being rolled.
public func stripeSignatureHeader(payload: [UInt8], secrets: [String], timestamp: Int64) -> String {
    var header = "t=\(timestamp)"
    for secret in secrets {
        header +=
            ",v1=" + String(decoding: expectedV1(payload: payload, secret: secret, timestamp: timestamp), as: UTF8.self)
    }
    return header
}
