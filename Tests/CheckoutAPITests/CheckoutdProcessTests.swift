import Foundation
import Testing
import TestSupport

/// The `checkoutd` executable itself, as an operator runs it: exit codes, config errors, migrate,
/// serve + SIGTERM drain.
@Suite("checkoutd executable")
struct CheckoutdProcessTests {
    /// `checkoutd` next to the test bundle (`swift build --build-tests` builds every product).
    static var binary: URL {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("checkoutd")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return TestEnvironment.repoRoot.appendingPathComponent(".build/debug/checkoutd")
    }

    /// A started process with captured output.
    final class Running: @unchecked Sendable {
        // The child's stdout/stderr go to files, not pipes: reading a file after (or during) the run has
        // no handler threads and no "last bytes still in the pipe" race, so output is never lost.
        let process = Process()
        private let outURL: URL
        private let errURL: URL

        init(_ args: [String], env: [String: String], dotEnv: String? = nil) throws {
            process.executableURL = CheckoutdProcessTests.binary
            process.arguments = args
            process.environment = env
            // An empty working directory: no stray .env is read.
            let cwd = FileManager.default.temporaryDirectory.appendingPathComponent("checkoutd-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: cwd, withIntermediateDirectories: true)
            if let dotEnv {
                try dotEnv.write(to: cwd.appendingPathComponent(".env"), atomically: true, encoding: .utf8)
            }
            process.currentDirectoryURL = cwd
            outURL = cwd.appendingPathComponent("stdout.log")
            errURL = cwd.appendingPathComponent("stderr.log")
            FileManager.default.createFile(atPath: outURL.path, contents: nil)
            FileManager.default.createFile(atPath: errURL.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: outURL)
            process.standardError = try FileHandle(forWritingTo: errURL)
            try process.run()
        }

        var stdout: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

        /// Waits (bounded) for exit; nil when it did not exit in time (then it is killed).
        func exitStatus(within timeout: Duration) -> Int32? {
            let ok = eventually(timeout: timeout) { !process.isRunning }
            if !ok {
                process.terminate()
                return nil
            }
            return process.terminationStatus
        }
    }

    static func env(_ extra: [String: String]) -> [String: String] {
        var env = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "STRIPE_SECRET_KEY": "sk_test_process_0123456789",
            "MIGRATIONS_DIR": TestEnvironment.repoRoot.appendingPathComponent("sql").path,
            "OPENAPI_PATH": TestEnvironment.repoRoot.appendingPathComponent("openapi.yaml").path,
            "LOG_LEVEL": "info",
        ]
        for (k, v) in extra { env[k] = v }
        return env
    }

    @Test(
        "a bad or missing setting: one line naming the variable, exit status 2",
        arguments: [
            (["DATABASE_URL": "postgres://x", "PORT": "abc"], #"config: PORT must be an integer 0–65535 (got "abc")"#),
            (["DATABASE_URL": ""], "config: DATABASE_URL is required"),
            (["DATABASE_URL": "postgres://x", "CHECKOUT_SESSION_TTL": "60"], "config: CHECKOUT_SESSION_TTL must be"),
            (["DATABASE_URL": "postgres://x", "APP_ENV": "production"], "config: STRIPE_WEBHOOK_SECRET is required"),
        ])
    func badConfig(extra: [String: String], line: String) throws {
        for command in [["serve"], ["migrate"], []] {
            let p = try Running(command, env: Self.env(extra))
            #expect(p.exitStatus(within: .seconds(20)) == 2, "\(command)")
            let lines = p.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(p.stderr)")
            #expect(lines.first?.hasPrefix(line) == true, "\(p.stderr)")
        }
    }

    @Test("migrate applies the schema to an empty database, and is a no-op the second time")
    func migrate() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let first = try Running(["migrate"], env: Self.env(["DATABASE_URL": db.url]))
        #expect(first.exitStatus(within: .seconds(60)) == 0, "\(first.stderr)")
        #expect(first.stdout.contains("001_init.sql") || first.stdout.contains("001_init"), "\(first.stdout)")
        let second = try Running(["migrate"], env: Self.env(["DATABASE_URL": db.url]))
        #expect(second.exitStatus(within: .seconds(60)) == 0)
        #expect(second.stdout.contains("up to date"), "\(second.stdout)")
    }

    @Test("./.env supplies settings; the environment wins over it")
    func dotEnvFile() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        var env = Self.env([:])
        env["STRIPE_SECRET_KEY"] = nil
        let dotEnv = """
            # written by the test
            export DATABASE_URL="\(db.url)"
            STRIPE_SECRET_KEY='sk_test_from_dotenv_123'
            PORT=not-a-port
            """
        let bad = try Running(["migrate"], env: env, dotEnv: dotEnv)
        #expect(bad.exitStatus(within: .seconds(20)) == 2)
        #expect(bad.stderr.hasPrefix(#"config: PORT must be an integer 0–65535 (got "not-a-port")"#), "\(bad.stderr)")
        env["PORT"] = "0"
        let ok = try Running(["migrate"], env: env, dotEnv: dotEnv)
        #expect(ok.exitStatus(within: .seconds(60)) == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("001_init"), "\(ok.stdout)")
    }

    @Test("serve: migrates, prints the bound address, serves, and exits 0 on SIGTERM")
    func serveAndTerminate() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let p = try Running(["serve"], env: Self.env(["DATABASE_URL": db.url, "PORT": "0", "LOG_FORMAT": "json"]))
        var port: Int?
        _ = eventually(timeout: .seconds(60)) {
            if let match = p.stdout.firstMatch(of: #/listening on http://127\.0\.0\.1:(\d+)/#) {
                port = Int(match.1)
            }
            return port != nil || !p.process.isRunning
        }
        let bound = try #require(port, "no listening line; stderr: \(p.stderr)")
        #expect(try TestHTTPClient.request(port: bound, method: "GET", path: "/healthz").status == 200)
        #expect(try TestHTTPClient.request(port: bound, method: "GET", path: "/readyz").status == 200)
        kill(p.process.processIdentifier, SIGTERM)
        #expect(p.exitStatus(within: .seconds(20)) == 0, "\(p.stderr)")
        // Every stderr line is one JSON object.
        for line in p.stderr.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
        }
        #expect(p.stderr.contains("\"msg\":\"stopped\""))
        #expect(!p.stderr.contains("sk_test_process_0123456789"))
    }
}
