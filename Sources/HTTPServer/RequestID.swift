import Synchronization

/// Request ids: echo a sane client-supplied `X-Request-Id`, else generate one.
///
/// Why validate: the id is written into logs and response headers, so an attacker-controlled value must
/// not carry separators, control characters or megabytes. Sane = 1…128 characters of `[A-Za-z0-9._-]`.
public enum RequestID {
    /// The id to use for a request whose `X-Request-Id` header is `header`.
    public static func resolve(_ header: String?) -> String {
        if let header, isSane(header) { return header }
        return generate()
    }

    /// Whether `value` is 1…128 characters of `[A-Za-z0-9._-]`.
    public static func isSane(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// A fresh id: 20 lower-case hex digits (80 bits), unique within the process (a counter through a
    /// bijective mixer, seeded from the system's random generator) and unguessable across processes.
    /// Not a secret: it is only for correlating logs. One atomic add, no system call.
    public static func generate() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let high = mix(seed.0 &+ n)
        let low = mix(seed.1 ^ n)
        return String(unsafeUninitializedCapacity: 20) { buffer in
            let digits: StaticString = "0123456789abcdef"
            digits.withUTF8Buffer { hex in
                for i in 0..<16 { buffer[i] = hex[Int((high >> (60 - 4 * UInt64(i))) & 0xF)] }
                for i in 0..<4 { buffer[16 + i] = hex[Int((low >> (12 - 4 * UInt64(i))) & 0xF)] }
            }
            return 20
        }
    }

    private static let seed: (UInt64, UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()

    private static let counter = Atomic<UInt64>(0)

    /// splitmix64's finaliser: a bijection on UInt64, so distinct counters give distinct ids.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
