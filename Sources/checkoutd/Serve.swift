import ArgumentParser
import CheckoutAPI
import Dispatch
import Foundation
import Synchronization

/// `checkoutd serve`: migrate under the advisory lock, serve HTTP until SIGTERM/SIGINT, drain, exit 0.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations, then serve HTTP until SIGTERM/SIGINT (the default).")

    func run() throws {
        let config = loadConfigOrExit()
        let logger = config.makeLogger(label: "checkoutd")
        for warning in config.warnings { logger.warning("\(warning)") }
        logger.info("starting", metadata: config.logSummary)

        // Take SIGTERM/SIGINT away from their default (terminate) before anything can race them;
        // dispatch sources deliver them to us instead.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let stopRequested = DispatchSemaphore(value: 0)
        let started = StartedFlag()
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                // Before the app is up (e.g. waiting for another instance's migration lock, which has
                // no timeout) there is nothing to drain: leave at once. Postgres rolls back a migration
                // in progress and releases the lock with the connection.
                guard started.isSet else {
                    logger.notice("stop requested during start-up; exiting")
                    _exit(0)
                }
                stopRequested.signal()
            }
            source.resume()
            sources.append(source)
        }

        let running: RunningApp
        do {
            running = try App.start(config: config, logger: logger)
        } catch {
            logger.critical("start-up failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        started.set()
        logger.info("listening", metadata: ["address": "http://\(config.host):\(running.port)"])
        FileHandle.standardOutput.write(Data("checkoutd listening on http://\(config.host):\(running.port)\n".utf8))

        stopRequested.wait()
        logger.info(
            "shutdown requested; /readyz answers 503, then in-flight requests drain",
            metadata: [
                "drain_delay_s": .stringConvertible(config.drainDelay),
                "grace_s": .stringConvertible(config.shutdownGrace),
            ])
        running.stop()
        sources.forEach { $0.cancel() }
        logger.info("stopped")
    }
}

/// Whether `serve` finished starting (read from the signal handler's queue).
private final class StartedFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
