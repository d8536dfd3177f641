import ArgumentParser
import CheckoutAPI
import Foundation

/// `checkoutd`: the checkout server executable (docs/API.md §1).
///
/// Subcommands: `serve` (default), `migrate`, `reconcile`; `--version` prints the version and build commit.
/// Migrations, `openapi.yaml` and the web pages are built in (`MIGRATIONS_DIR`, `OPENAPI_PATH`, `WEB_DIR`
/// override them). Configuration comes only from the
/// environment and `./.env`; a bad value prints one `config: …` line and exits with status 2.
@main
struct Checkoutd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkoutd",
        abstract: "Stripe Checkout → paid, fulfilled orders.",
        discussion: """
            Configuration is read from the environment and from ./.env (the environment wins); see
            README "Configuration" or .env.example. A bad or missing value stops start-up with one line
            naming the variable and exit status 2.
            """,
        version: AppConfig.versionLine,
        subcommands: [Serve.self, Migrate.self, Reconcile.self],
        defaultSubcommand: Serve.self)
}

/// Loads the configuration or exits 2 with the one-line reason on stderr.
func loadConfigOrExit() -> AppConfig {
    do {
        return try AppConfig.fromProcess()
    } catch {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        exit(2)
    }
}
