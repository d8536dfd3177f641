import Foundation
import Testing
import TestSupport

/// A helper server written in Python (`tests/…/*.py`), run as a real process for a test: it prints
/// `listening on PORT` once it accepts connections; its output goes to files in a directory of its own.
final class ScriptServer: @unchecked Sendable {
    let process = Process()
    /// The test's scratch directory (the script's working directory; logs and data live here).
    let directory: URL
    private(set) var port = 0

    /// Starts `python script args…` and waits (bounded) for its `listening on` line.
    init(python: String = "/usr/bin/python3", script: String, arguments: [String] = [], directory: URL? = nil)
        throws
    {
        let dir =
            directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("script-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        self.directory = dir
        let out = dir.appendingPathComponent("stdout.log")
        let err = dir.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-u", TestEnvironment.repoRoot.appendingPathComponent(script).path] + arguments
        process.currentDirectoryURL = dir
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        var found: Int?
        _ = eventually(timeout: .seconds(30)) {
            if let match = self.stdout.firstMatch(of: #/listening on (\d+)/#) { found = Int(match.1) }
            return found != nil || !self.process.isRunning
        }
        guard let found else {
            stop()
            throw StackError("\(script) did not start: \(stderr.suffix(2000))")
        }
        port = found
    }

    var stdout: String {
        (try? String(contentsOf: directory.appendingPathComponent("stdout.log"), encoding: .utf8)) ?? ""
    }
    var stderr: String {
        (try? String(contentsOf: directory.appendingPathComponent("stderr.log"), encoding: .utf8)) ?? ""
    }

    /// The JSON lines of `name` in the directory, parsed.
    func jsonLines(_ name: String) -> [[String: Any]] {
        let text = (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            _ = eventually(timeout: .seconds(5)) { !self.process.isRunning }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}
