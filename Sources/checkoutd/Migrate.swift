import ArgumentParser
import CheckoutAPI
import Foundation
import Postgres

/// `checkoutd migrate`: apply pending migrations (the built-in ones, or `MIGRATIONS_DIR`) (under the advisory lock) and exit.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations (built in, or MIGRATIONS_DIR) and exit.")

    func run() throws {
        let config = loadConfigOrExit()
        let logger = config.makeLogger(label: "checkoutd.migrate")
        let pool = ConnectionPool(url: config.databaseURL.reveal(), maxConnections: 1)
        defer { pool.close() }
        do {
            let applied = try config.migrator().migrate(pool)
            logger.info("migrations done", metadata: ["applied": .array(applied.map { .string($0) })])
            print(applied.isEmpty ? "migrate: up to date" : "migrate: applied \(applied.joined(separator: ", "))")
        } catch {
            logger.critical("migration failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
