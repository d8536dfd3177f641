import ArgumentParser
import CheckoutAPI
import Foundation

/// `checkoutd reconcile`: one pass of the reconciler (API.md §6); prints what it changed.
struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one reconciler pass (bring stale pending orders up to date with Stripe) and exit.")

    func run() throws {
        let config = loadConfigOrExit()
        _ = config.makeLogger(label: "checkoutd.reconcile")
    }
}
