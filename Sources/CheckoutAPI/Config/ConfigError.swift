/// Why start-up refused the configuration: one variable, one human sentence.
///
/// `description` is the single line `checkoutd` prints before exiting with status 2, e.g.
/// `config: PORT must be an integer 0–65535 (got "abc")`. Values of secret variables are never quoted.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable at fault (or `.env` for a syntax error in that file).
    public var variable: String
    /// What is wrong, without the `config:` prefix.
    public var message: String

    /// Creates an error about `variable`.
    public init(variable: String, message: String) {
        self.variable = variable
        self.message = message
    }

    /// `config: <message>`; the message starts with the variable's name.
    public var description: String { "config: \(message)" }
}
