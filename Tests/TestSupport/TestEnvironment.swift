import Foundation

/// Where the test run's real services are. `make test` sets these; running `swift test` by hand
/// without them fails loudly instead of skipping, so a green run always means a real database.
public enum TestEnvironment {
    /// `DATABASE_URL` of the throwaway cluster that `make test` started.
    public static var databaseURL: String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            fatalError("DATABASE_URL is not set: run the tests with `make test`, which starts Postgres")
        }
        return url
    }

    /// The repository root (for `sql/` and `Tests/Fixtures/`), from `CHECKOUT_REPO_ROOT` or this file's path.
    public static var repoRoot: URL {
        if let root = ProcessInfo.processInfo.environment["CHECKOUT_REPO_ROOT"], !root.isEmpty {
            return URL(fileURLWithPath: root)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// `Tests/Fixtures/stripe/<relative>`.
    public static func stripeFixture(_ relative: String) -> URL {
        repoRoot.appendingPathComponent("Tests/Fixtures/stripe").appendingPathComponent(relative)
    }
}
