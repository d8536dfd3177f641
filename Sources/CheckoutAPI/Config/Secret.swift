/// A configuration value that must never reach a log line, an error message or a `print`.
///
/// Why a type and not a convention: `"\(config)"`, `dump(config)` and string interpolation of a
/// `Secret` all print `redacted`, so a careless log statement cannot leak the Stripe key, a webhook
/// secret or the admin token. Read the value only where it is used (`reveal()`).
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let value: String

    /// Wraps `value`; nothing prints it after this.
    public init(_ value: String) { self.value = value }

    /// The secret itself, for the one place that needs it (an HTTP header, an HMAC key, a compare).
    public func reveal() -> String { value }

    /// Always `redacted`.
    public var description: String { "redacted" }
    /// Always `redacted`.
    public var debugDescription: String { "redacted" }
    /// Hides the stored value from `dump` and debuggers' mirrors.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
