import Foundation
import Postgres
import Synchronization

/// A fresh, fully migrated database of its own for one test, so tests run in parallel without sharing rows.
///
/// Cloned (`CREATE DATABASE … TEMPLATE`) from a template that is migrated once: its name carries a digest
/// of the `sql/` files, it is built under an advisory lock in the `postgres` database (so parallel test
/// processes build it once between them) under a temporary name and renamed when complete (so a crashed
/// build is never cloned). Cloning takes tens of milliseconds instead of re-running every migration.
///
/// ```swift
/// let db = try TestDatabase.create()
/// defer { db.drop() }
/// let pool = db.pool()
/// ```
public final class TestDatabase: Sendable {
    /// The database's name (`t_<random>`).
    public let name: String
    /// Its connection URL (the test cluster's `DATABASE_URL` with the path replaced).
    public let url: String
    private let pools = Mutex<[ConnectionPool]>([])

    private init(name: String) {
        self.name = name
        self.url = Self.url(forDatabase: name)
    }

    /// Creates a new database: migrated with the repository's `sql/` (the default), or empty.
    public static func create(migrated: Bool = true) throws -> TestDatabase {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let template = migrated ? try Self.template.get() : "template0"
        try admin.withConnection { connection in
            try connection.execute("CREATE DATABASE \(identifier(name)) TEMPLATE \(identifier(template))")
        }
        return TestDatabase(name: name)
    }

    /// A pool on this database; closed by `drop()`.
    public func pool(max: Int = 4, checkoutTimeout: Duration = .seconds(5)) -> ConnectionPool {
        let pool = ConnectionPool(url: url, maxConnections: max, checkoutTimeout: checkoutTimeout)
        pools.withLock { $0.append(pool) }
        return pool
    }

    /// Closes this database's pools, ends any other session on it, and drops it. Never throws: a test's
    /// cleanup must not hide the test's own failure (a leftover database dies with the throwaway cluster).
    public func drop() {
        for pool in pools.withLock({ $0 }) { pool.close() }
        _ = try? Self.admin.withConnection { connection in
            try connection.execute("DROP DATABASE IF EXISTS \(Self.identifier(name)) WITH (FORCE)")
        }
    }

    /// `DATABASE_URL` with its database (the URL path) replaced by `database`.
    public static func url(forDatabase database: String) -> String {
        guard var components = URLComponents(string: TestEnvironment.databaseURL), components.scheme != nil else {
            return TestEnvironment.databaseURL + " dbname=\(database)"  // key=value form: the last value wins
        }
        components.path = "/" + database
        return components.string!
    }

    /// Sessions on the server's `postgres` database for CREATE/DROP DATABASE.
    /// Generous deadline: many suites create databases at once, each CREATE DATABASE taking ~0.1-0.3 s.
    private static let admin = ConnectionPool(
        url: url(forDatabase: "postgres"), maxConnections: 4, checkoutTimeout: .seconds(60))

    /// The migrated template's name, built at most once per process (`static let` runs once, thread-safely).
    private static let template: Result<String, any Error> = Result { try buildTemplate() }

    private static let templateLockKey: Int64 = 0x74_65_6d_70_6c_61_74_65  // "template"

    private static func buildTemplate() throws -> String {
        let sqlDirectory = TestEnvironment.repoRoot.appendingPathComponent("sql")
        var allBytes: [UInt8] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: sqlDirectory.path).sorted()
        where file.hasSuffix(".sql") {
            allBytes += Array(file.utf8) + [0]
            allBytes += try [UInt8](Data(contentsOf: sqlDirectory.appendingPathComponent(file))) + [0]
        }
        return try admin.withConnection { connection in
            let digest: String = try connection.query(
                "SELECT encode(sha256($1::bytea), 'hex') AS digest", [allBytes])[0].decode("digest")
            let name = "checkout_tpl_" + digest.prefix(16)
            let building = name + "_building"
            try connection.execute("SELECT pg_advisory_lock($1)", [templateLockKey])
            defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [templateLockKey]) }
            if try !connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]).isEmpty {
                return name
            }
            try connection.execute("DROP DATABASE IF EXISTS \(identifier(building)) WITH (FORCE)")
            try connection.execute("CREATE DATABASE \(identifier(building)) TEMPLATE template0")
            let pool = ConnectionPool(url: url(forDatabase: building), maxConnections: 1)
            _ = try Migrator(directory: sqlDirectory).migrate(pool)
            pool.close()
            try connection.execute("ALTER DATABASE \(identifier(building)) RENAME TO \(identifier(name))")
            return name
        }
    }

    /// DDL cannot take parameters for names, so names are spliced in; they are all generated here, and this
    /// guard keeps it that way.
    private static func identifier(_ name: String) -> String {
        precondition(
            !name.isEmpty && name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 },
            "unexpected database name")
        return "\"\(name)\""
    }
}
