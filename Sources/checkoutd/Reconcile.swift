import ArgumentParser
import CheckoutAPI
import Foundation

/// `checkoutd reconcile`: one pass of the reconciler (API.md §6); prints what it changed.
///
/// Not available yet: the domain's reconciler is issue 6. Until it lands this says so and exits 1,
/// rather than pretending a pass ran. (Repairing one order by hand: `POST /api/admin/orders/:id/sync`.)
struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one reconciler pass (bring stale pending orders up to date with Stripe) and exit.")

    func run() throws {
        _ = loadConfigOrExit()
        FileHandle.standardError.write(
            Data(
                "reconcile: not implemented yet (issue 6); use POST /api/admin/orders/:id/sync for a single order\n"
                    .utf8))
        throw ExitCode(1)
    }
}
