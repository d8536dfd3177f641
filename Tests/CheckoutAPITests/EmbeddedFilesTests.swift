import CheckoutAPI
import CheckoutResources
import Foundation
import Testing
import TestSupport

/// What `checkoutd` carries is byte for byte what the repository holds (the migrations' checksums depend
/// on it), and the configuration uses it unless a `*_DIR`/`*_PATH` variable says otherwise.
@Suite("Embedded files")
struct EmbeddedFilesTests {
    static func repoFiles(_ folder: String, pattern: (String) -> Bool) throws -> [String: [UInt8]] {
        let dir = TestEnvironment.repoRoot.appendingPathComponent(folder)
        var result: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where pattern(name) {
            result[name] = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
        }
        return result
    }

    @Test(
        "the built-in migrations, spec and pages equal the repository's files",
        arguments: ["sql", "web/admin", "web/demo"])
    func sameBytes(folder: String) throws {
        let expected = try Self.repoFiles(folder) { folder == "sql" ? $0.hasSuffix(".sql") : !$0.hasPrefix(".") }
        #expect(!expected.isEmpty)
        #expect(EmbeddedFiles.folder(folder) == expected)
    }

    @Test("openapi.yaml, version and commit")
    func specVersionCommit() throws {
        let spec = try Data(contentsOf: TestEnvironment.repoRoot.appendingPathComponent("openapi.yaml"))
        #expect(EmbeddedFiles.files["openapi.yaml"] == [UInt8](spec))
        let version = try String(
            contentsOf: TestEnvironment.repoRoot.appendingPathComponent("VERSION"), encoding: .utf8)
        #expect(EmbeddedFiles.version == version.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(!EmbeddedFiles.commit.isEmpty)
        #expect(AppConfig.versionLine == "checkoutd \(EmbeddedFiles.version) (commit \(EmbeddedFiles.commit))")
    }

    @Test("the configuration defaults to the built-in files; MIGRATIONS_DIR, OPENAPI_PATH, WEB_DIR override")
    func defaultsAndOverrides() throws {
        let plain = try AppConfig.load(environment: ["DATABASE_URL": "postgres://x", "STRIPE_SECRET_KEY": "sk_test_1"])
        #expect(plain.migrationsDirectory == nil && plain.openAPIPath == nil && plain.webDirectory == nil)
        let overridden = try AppConfig.load(environment: [
            "DATABASE_URL": "postgres://x", "STRIPE_SECRET_KEY": "sk_test_1", "MIGRATIONS_DIR": "/srv/sql",
            "OPENAPI_PATH": "/srv/openapi.yaml", "WEB_DIR": "/srv/web",
        ])
        #expect(overridden.migrationsDirectory == "/srv/sql")
        #expect(overridden.openAPIPath == "/srv/openapi.yaml")
        #expect(overridden.webDirectory == "/srv/web")
        guard case .files(let files) = plain.migrator().source else {
            Issue.record("the default migrator should use the built-in files")
            return
        }
        #expect(files == EmbeddedFiles.folder("sql"))
        guard case .directory(let url) = overridden.migrator().source else {
            Issue.record("MIGRATIONS_DIR should give a directory migrator")
            return
        }
        #expect(url.path == "/srv/sql")
    }
}
