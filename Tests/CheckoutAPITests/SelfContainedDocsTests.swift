import Foundation
import Testing
import TestSupport

/// The repository must explain itself: no reference to a file a clone does not have (a folder beside the
/// repository, a bare `API.md` that is not `docs/API.md`) and no reference to a work item by number. The
/// contract lives in `docs/API.md`; code, tests and docs cite its sections as "docs/API.md §n".
@Suite("Self-contained: no references outside the repository")
struct SelfContainedDocsTests {
    /// What may not appear, with the reason printed when it does.
    static let rules: [(name: String, pattern: String)] = [
        ("a folder outside the repository", #"\.\./shared\b|\bshared[/](API|DESIGN|stripe)\b"#),
        ("a contract file other than docs/API.md", #"(?<![\w/])(API|DESIGN)\.md"#),
        ("a work item by number", #"(?i)\bissues? #?[0-9]+\b"#),
        ("a work item by position", #"(?i)\b(the|this|next|that|previous) (issue|work item|ticket)\b"#),
        ("a review finding by number", #"\bF[0-9]{1,2}: "#),
    ]

    /// Lines that must stay as they are, with why. Landed migrations are checksummed byte for byte by the
    /// Migrator (a comment change makes every existing database refuse to start), so 001's header keeps
    /// its old wording; docs/API.md §4 is the table it means.
    static let allowed: [(path: String, line: String)] = [
        ("sql/001_init.sql", "-- checksum); add 002_… instead. Status values are those of API.md §4.")
    ]

    /// Folders and files a clone has that are ours to keep clean.
    static let roots = [
        "Sources", "Tests", "sql", "docs", "web", "tests", "scripts", "bench", "fuzz", ".ci", "README.md", "Makefile",
        "openapi.yaml", "Package.swift", ".env.example",
    ]
    static let textExtensions: Set<String> = [
        "swift", "md", "sql", "yaml", "yml", "js", "html", "css", "py", "sh", "txt", "conf", "cfg", "service",
        "example", "toml", "h", "modulemap", "c", "",
    ]

    /// The rule a line breaks, if any.
    static func violation(in line: String) -> String? {
        for rule in rules where line.range(of: rule.pattern, options: .regularExpression) != nil {
            return rule.name
        }
        return nil
    }

    /// Every text file under ``roots``, relative to the repository root (build folders and this file excluded).
    static func files() throws -> [String] {
        let root = TestEnvironment.repoRoot
        let fm = FileManager.default
        var result: [String] = []
        for entry in roots {
            let url = root.appendingPathComponent(entry)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            guard isDirectory.boolValue else {
                result.append(entry)
                continue
            }
            let walker = fm.enumerator(at: url, includingPropertiesForKeys: [.isDirectoryKey])
            while let next = walker?.nextObject() as? URL {
                let name = next.lastPathComponent
                if (try next.resourceValues(forKeys: [.isDirectoryKey])).isDirectory == true {
                    if name.hasPrefix(".build") || name == ".local" || name == "node_modules" || name == ".venv" {
                        walker?.skipDescendants()
                    }
                    continue
                }
                guard textExtensions.contains(next.pathExtension), name != "Package.resolved" else { continue }
                let relative = String(next.path.dropFirst(root.path.count + 1))
                if relative != "Tests/CheckoutAPITests/SelfContainedDocsTests.swift" { result.append(relative) }
            }
        }
        return result
    }

    @Test(
        "the rules catch what they are for",
        arguments: [
            // The flagged samples are put together from pieces, so this file itself holds no reference
            // of the kind it forbids.
            ("see " + ".." + "/shared" + "/API.md for the table", true),
            ("Contract (see `shared" + "/stripe/README.md`):", true),
            ("defaults of " + "API.md §1", true),
            ("the shape of " + "DESIGN.md", true),
            ("the flows of " + "issue" + " 5", true),
            ("Issue" + " 7 \"Done when\"", true),
            ("the worker (next issue) reports", true),
            ("asked for by the issue", true),
            ("// F3: another reason", true),
            ("defaults of docs/API.md §1", false),
            ("Issue.record(\"expected an error\")", false),
            ("RFC 9112 §6.3", false),
            ("(\"😀\", \"%F0%9F%98%80\")", false),
            ("a shared lock", false),
        ])
    func rulesCatch(line: String, flagged: Bool) {
        #expect((Self.violation(in: line) != nil) == flagged, "\(line)")
    }

    @Test("no file refers outside the repository or to a work item")
    func noOutsideReferences() throws {
        let files = try Self.files()
        // A walk that found nothing would pass vacuously.
        #expect(files.count > 100, "only \(files.count) files scanned from \(TestEnvironment.repoRoot.path)")
        #expect(files.contains("docs/API.md"))
        var found: [String] = []
        var allowedSeen = 0
        for file in files {
            let url = TestEnvironment.repoRoot.appendingPathComponent(file)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                guard let rule = Self.violation(in: String(line)) else { continue }
                if Self.allowed.contains(where: { $0.path == file && $0.line == line }) {
                    allowedSeen += 1
                    continue
                }
                found.append("\(file):\(number + 1): \(rule): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(found.isEmpty, "\n\(found.joined(separator: "\n"))")
        // An allow-list entry that no longer matches anything is stale and must go.
        #expect(allowedSeen == Self.allowed.count)
    }
}
