import ArgumentParser
import CheckoutAPI
import Dispatch
import Foundation

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
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stopRequested.signal() }
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
        logger.info("listening", metadata: ["address": "http://\(config.host):\(running.port)"])
        FileHandle.standardOutput.write(Data("checkoutd listening on http://\(config.host):\(running.port)\n".utf8))

        stopRequested.wait()
        logger.info(
            "shutdown requested; draining in-flight requests",
            metadata: ["grace_s": .stringConvertible(config.shutdownGrace)])
        running.stop()
        sources.forEach { $0.cancel() }
        logger.info("stopped")
    }
}
