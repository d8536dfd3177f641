import Foundation

/// Applies the schema migrations `NNN_name.sql` of a directory (or given in memory), forward only, each
/// exactly once.
///
/// Each file runs in its own transaction together with its row in `schema_migrations` (version, name,
/// SHA-256 checksum of the file bytes, applied_at), so a failed file leaves no trace and is retried on the
/// next start. The whole run holds a Postgres advisory lock, so instances starting at once take turns: the
/// second waits, then finds everything applied. Refuses to run (before applying anything) when an applied
/// file was edited or deleted: the database would no longer match the code's idea of the schema.
///
/// A migration file may hold several statements but no BEGIN/COMMIT of its own and nothing that cannot run
/// inside a transaction (e.g. `CREATE INDEX CONCURRENTLY`).
public struct Migrator: Sendable {
    /// Where the `NNN_*.sql` files come from.
    public enum Source: Sendable {
        /// A folder on disk (e.g. the repository's `sql/`, or `MIGRATIONS_DIR`).
        case directory(URL)
        /// Files by name with their bytes (e.g. the migrations `checkoutd` carries in its binary).
        case files([String: [UInt8]])
    }

    /// Where the migrations are read from.
    public let source: Source

    /// The advisory lock key every migrator of this project shares ("checkout" in ASCII).
    public static let lockKey: Int64 = 0x63_68_65_63_6b_6f_75_74

    /// A migrator for the files in `directory` (e.g. the repository's `sql/`).
    public init(directory: URL) { self.source = .directory(directory) }

    /// A migrator for files given by name (`001_init.sql`) and bytes; other names are ignored as on disk.
    public init(files: [String: [UInt8]]) { self.source = .files(files) }

    /// One migration file found on disk.
    struct File {
        var version: Int
        var name: String  // file name without `.sql`
        var bytes: [UInt8]
    }

    /// Applies pending migrations in version order and returns their names (`001_init`, …), empty when the
    /// database was up to date. Throws `MigrationError` naming the file for a changed or missing applied
    /// file and for a file that fails; `PostgresError` for connection trouble.
    public func migrate(_ pool: ConnectionPool) throws -> [String] {
        let files = try loadFiles()
        return try pool.withConnection { connection in
            // The lock is held by this session; dropping the connection afterwards guarantees it is released
            // even if unlocking fails, and never leaks into another pool user.
            connection.discardWhenReturned = true
            try connection.execute("SELECT pg_advisory_lock($1)", [Self.lockKey])
            defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            var checksums: [Int: String] = [:]
            for file in files {
                checksums[file.version] = try connection.query(
                    "SELECT encode(sha256($1::bytea), 'hex') AS sum", [file.bytes])[0].decode("sum")
            }
            let applied = try connection.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
            var appliedVersions: Set<Int> = []
            for row in applied {
                let version: Int = try row.decode("version")
                let name: String = try row.decode("name")
                appliedVersions.insert(version)
                guard let file = files.first(where: { $0.version == version }) else {
                    throw MigrationError(file: name + ".sql", reason: "was applied but its file is missing")
                }
                guard checksums[version] == (try row.decode("checksum", as: String.self)) else {
                    throw MigrationError(
                        file: file.name + ".sql", reason: "changed after it was applied (checksum differs)")
                }
            }
            var done: [String] = []
            for file in files where !appliedVersions.contains(file.version) {
                // A UTF-8 byte order mark (some editors add one) is not SQL; the checksum still covers it.
                let body = file.bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(file.bytes.dropFirst(3)) : file.bytes
                guard let sql = String(validating: body, as: UTF8.self) else {
                    throw MigrationError(file: file.name + ".sql", reason: "is not valid UTF-8")
                }
                do {
                    try connection.transaction { connection in
                        try connection.executeScript(sql)
                        try connection.execute(
                            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                            [file.version, file.name, checksums[file.version]!])
                    }
                } catch let error as PostgresError where error.kind != .connectionLost {
                    throw MigrationError(
                        file: file.name + ".sql", reason: "failed: \(error.description): \(error.detail)")
                }
                done.append(file.name)
            }
            return done
        }
    }

    /// The `NNN_*.sql` files of the source, by version; other files are ignored, duplicate versions refused.
    func loadFiles() throws -> [File] {
        let names: [String]
        switch source {
        case .directory(let directory):
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            } catch {
                throw MigrationError(file: directory.path, reason: "cannot be read (\(error.localizedDescription))")
            }
        case .files(let given):
            names = Array(given.keys)
        }
        var files: [File] = []
        for name in names where name.hasSuffix(".sql") {
            let stem = String(name.dropLast(4))
            let digits = stem.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, stem.dropFirst(digits.count).first == "_", let version = Int(digits) else {
                continue
            }
            if let other = files.first(where: { $0.version == version }) {
                throw MigrationError(file: name, reason: "has the same version as \(other.name).sql")
            }
            let bytes: [UInt8]
            switch source {
            case .directory(let directory):
                bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
            case .files(let given): bytes = given[name] ?? []
            }
            files.append(File(version: version, name: stem, bytes: bytes))
        }
        return files.sorted { $0.version < $1.version }
    }
}

/// A migration that cannot be applied; `file` names it (e.g. `002_orders.sql`).
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    /// The migration file concerned.
    public var file: String
    /// What is wrong with it.
    public var reason: String
    /// `migration 002_orders.sql changed after it was applied (checksum differs)`.
    public var description: String { "migration \(file) \(reason)" }
}
