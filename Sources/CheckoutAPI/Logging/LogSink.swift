#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Checkout
import Synchronization

/// Where finished log lines go: stderr in the server, an in-memory buffer in tests.
///
/// Every line is written whole under one lock, so concurrent handlers never interleave characters.
/// Before writing, every registered secret is replaced by `[redacted]`: a second line of defence
/// behind ``Secret`` for the case where a secret reaches a message by another path (an upstream error
/// text echoing a header, say). Secrets shorter than 8 characters are not scrubbed, since replacing
/// them would mangle ordinary words.
public final class LogSink: Sendable {
    private enum Target { case standardError, memory }
    private struct State {
        var captured: [String] = []
        var secrets: [String] = []
    }

    private let target: Target
    private let state = Mutex(State())

    private init(target: Target) { self.target = target }

    /// Writes to file descriptor 2.
    public static let standardError = LogSink(target: .standardError)

    /// A sink that keeps every line in memory (for tests that inspect logs).
    public static func memory() -> LogSink { LogSink(target: .memory) }

    /// Adds values that must never appear in output (e.g. the Stripe key, webhook secrets, the admin token).
    public func redact(_ secrets: [Secret]) {
        let values = secrets.map { $0.reveal() }.filter { $0.count >= 8 }
        state.withLock { $0.secrets.append(contentsOf: values) }
    }

    /// Writes one line (a newline is appended).
    public func write(_ line: String) {
        state.withLock { state in
            var text = line
            for secret in state.secrets { text = Self.redacting(secret, in: text) }
            switch target {
            case .memory:
                state.captured.append(text)
            case .standardError:
                text.append("\n")
                var bytes = Array(text.utf8)
                bytes.withUnsafeMutableBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let n = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                        if n < 0 {
                            if errno == EINTR { continue }
                            return
                        }
                        offset += n
                    }
                }
            }
        }
    }

    /// `line` with every occurrence of `secret` replaced by `[redacted]`, matched on UTF-8 bytes
    /// (``ByteText``: `String.contains` went through Foundation's locale-aware search, which cost more
    /// than formatting the whole line).
    static func redacting(_ secret: String, in line: String) -> String {
        ByteText.replacing(secret, with: "[redacted]", in: line)
    }

    /// Every line written so far (memory sinks only; empty for stderr).
    public var lines: [String] { state.withLock { $0.captured } }
}
