import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A tiny Postgres cluster of its own in a temporary folder, for the few tests that restart or stop the
/// server: doing that to the shared test cluster would break every test running in parallel.
///
/// Driven by the project's `scripts/pg.sh` (initdb + start on a free port takes about a second).
public final class PrivateCluster: Sendable {
    /// The cluster's folder (removed by `stop()`).
    public let directory: URL
    /// `DATABASE_URL` of its `checkout` database.
    public let url: String

    private init(directory: URL, url: String) {
        self.directory = directory
        self.url = url
    }

    /// Initializes and starts a new cluster.
    public static func start() throws -> PrivateCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "checkout-pg-\(UUID().uuidString.prefix(8))")
        try run("start", directory, "--fresh")
        let url = try run("url", directory).trimmingCharacters(in: .whitespacesAndNewlines)
        return PrivateCluster(directory: directory, url: url)
    }

    /// `pg_ctl restart -m fast` on the same port: every open session is terminated.
    public func restart() throws { try Self.run("restart", directory) }

    /// Stops the server (`-m fast`), keeping its data and port, to simulate an outage.
    public func stopServer() { _ = try? Self.run("stop", directory) }

    /// Starts the stopped server again on the same port.
    public func startServer() throws { try Self.run("start", directory) }

    /// Stops the server and deletes its folder.
    public func stop() {
        _ = try? Self.run("stop", directory)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `scripts/pg.sh <arguments>` and returns its output; throws with its output on failure.
    ///
    /// `posix_spawn` + `waitpid` rather than `Foundation.Process`: `Process` learns of the child's exit through a
    /// socket the child inherits, and the postmaster that `pg_ctl start` leaves behind inherits it too, so
    /// `waitUntilExit()` never returns (seen: the test hung with pg.sh already a zombie). For the same reason the
    /// child gets no descriptor of ours beyond 0–2 (`closefrom`): a daemon must not keep another test's
    /// listening socket or pipe open.
    @discardableResult
    private static func run(_ command: String, _ directory: URL, _ extra: String...) throws -> String {
        let script = TestEnvironment.repoRoot.appendingPathComponent("scripts/pg.sh").path
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("pg-sh-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // glibc >= 2.34 has it, but Swift does not import it: look it up (RTLD_DEFAULT is nil).
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let closeFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3)
        }
        let argv = ([script, command, directory.path] + extra).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, script, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw PrivateClusterError(message: "pg.sh \(command): posix_spawn failed (\(spawned))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw PrivateClusterError(message: "pg.sh \(command) failed (status \(status)): \(output)")
        }
        return output
    }
}

/// `scripts/pg.sh` failed; the message carries its output.
public struct PrivateClusterError: Error, CustomStringConvertible {
    /// What failed and the script's output.
    public var message: String
    /// The message.
    public var description: String { message }
}
