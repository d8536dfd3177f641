// libFuzzer entry for the `Stripe-Signature` header: `WebhookVerifier.parse` and `verify`.
// Input: header bytes, then an optional 0x00 byte and the payload bytes.
//
// Oracles beyond "does not crash or trip ASan":
// - parse succeeds exactly when a trimmed `t=` with only digits that fits Int64 appears once (checked by
//   re-rendering what parse returned as a canonical header and parsing that to the same value);
// - verify with a fixed secret and clock never accepts a header whose v1 values were not computed
//   from that secret (the fuzzer cannot forge HMAC-SHA256), except when we build it correctly;
// - a header we sign ourselves for the fuzzed payload and the parsed timestamp always verifies.
import Foundation
import Stripe

let fuzzSecret = "whsec_fuzz_secret"
let fuzzNow: Int64 = 1_800_000_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStripeSignature(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let header = String(decoding: bytes[..<split], as: UTF8.self)
    let payload = split < bytes.count ? Array(bytes[(split + 1)...]) : []

    let verifier = WebhookVerifier(secrets: [fuzzSecret], tolerance: 300, now: { fuzzNow })
    if let parsed = try? WebhookVerifier.parse(header) {
        let canonical =
            "t=\(parsed.timestamp)" + parsed.v1.map { ",v1=" + String(decoding: $0, as: UTF8.self) }.joined()
        if parsed.v1.allSatisfy({ !$0.contains(UInt8(ascii: ",")) }) {
            let again = try? WebhookVerifier.parse(canonical)
            precondition(again == parsed, "parse(render(parse(h))) != parse(h) for \(header.debugDescription)")
        }
        // A correctly signed header for this timestamp verifies when fresh, and is too old otherwise.
        let good = stripeSignatureHeader(payload: payload, secret: fuzzSecret, timestamp: parsed.timestamp)
        do {
            try verifier.verify(payload: payload, header: good)
            precondition(fuzzNow - parsed.timestamp <= 300, "accepted a stale timestamp \(parsed.timestamp)")
        } catch .timestampTooOld {
            precondition(fuzzNow - parsed.timestamp > 300, "rejected a fresh timestamp \(parsed.timestamp)")
        } catch {
            preconditionFailure("our own signature was rejected: \(error)")
        }
    }
    if (try? verifier.verify(payload: payload, header: header)) != nil {
        // Accepted: then one of its v1 values must be the real HMAC for its timestamp.
        let parsed = try! WebhookVerifier.parse(header)
        let real = stripeSignatureHeader(payload: payload, secret: fuzzSecret, timestamp: parsed.timestamp)
        let realV1 = Array(real.split(separator: "v1=").last!.utf8)
        precondition(parsed.v1.contains(realV1), "accepted a header without the real signature: \(header)")
    }
    return 0
}
