import ArgumentParser
import Checkout
import CheckoutAPI
import Foundation
import Postgres

/// `checkoutd reconcile`: one pass of the reconciler (docs/API.md §6); prints what it changed.
///
/// Exit status 0 when the pass ran (or another instance was mid-pass for the whole lock wait and
/// this one skipped, which it says), 1 when some order could not be checked (listed as `error:`
/// lines; a later pass retries them).
struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one reconciler pass (bring stale pending orders up to date with Stripe) and exit.")

    @Flag(help: "Print the report as one JSON object instead of lines.")
    var json = false

    @Option(help: "Seconds to wait for another instance's pass to finish before skipping.")
    var lockWait: Int = 30

    func run() throws {
        let config = loadConfigOrExit()
        let logger = config.makeLogger(label: "checkoutd.reconcile")
        for warning in config.warnings { logger.warning("\(warning)") }
        // One connection holds the pass's advisory lock, the others do the work.
        let pool = ConnectionPool(url: config.databaseURL.reveal(), maxConnections: 3)
        defer { pool.close() }
        let services = AppServices(config: config, pool: pool, logger: logger)
        let reconciler = Reconciler(
            service: services.checkout,
            configuration: .init(staleAfter: config.reconcileStaleAfter),
            logger: logger)
        let report = reconciler.runOnce(lockWait: .seconds(max(0, lockWait)))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            for line in report.lines { print(line) }
        }
        if !report.errors.isEmpty { throw ExitCode(1) }
    }
}
