import ArgumentParser
import CheckoutAPI
import Foundation

/// `checkoutd serve`: migrate under the advisory lock, serve HTTP until SIGTERM/SIGINT, drain, exit 0.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations, then serve HTTP until SIGTERM/SIGINT (the default).")

    func run() throws {
        let config = loadConfigOrExit()
        let logger = config.makeLogger(label: "checkoutd")
        for warning in config.warnings { logger.warning("\(warning)") }
        logger.info("configuration loaded", metadata: config.logSummary)
    }
}
