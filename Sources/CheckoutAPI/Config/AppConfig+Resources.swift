import CheckoutResources
import Foundation
import Postgres

extension AppConfig {
    /// The migrator for this configuration: `MIGRATIONS_DIR` when set (development), else the migrations
    /// built into the binary, so `checkoutd` never depends on its working directory.
    public func migrator() -> Migrator {
        if let directory = migrationsDirectory {
            return Migrator(directory: URL(fileURLWithPath: directory))
        }
        return Migrator(files: EmbeddedFiles.folder("sql"))
    }

    /// The version and build commit, as `checkoutd --version` prints them: `checkoutd 0.1.0 (commit 1a2b3c4d5e6f)`.
    public static var versionLine: String { "checkoutd \(EmbeddedFiles.version) (commit \(EmbeddedFiles.commit))" }
}
