import Foundation
import Postgres
import TestSupport
import Testing

/// The migrator on empty databases: order, exactly-once under concurrency, and refusal of edited history.
@Suite struct MigratorTests {
    /// A temporary migrations folder; removed by `remove()`.
    struct Folder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")

        init(_ files: [String: String]) throws {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            for (name, sql) in files { try write(name, sql) }
        }

        func write(_ name: String, _ sql: String) throws {
            try Data(sql.utf8).write(to: url.appendingPathComponent(name))
        }

        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    static func tables(_ pool: ConnectionPool) throws -> [String] {
        try pool.withConnection { connection in
            try connection.query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).map { try $0.decode("tablename", as: String.self) }
        }
    }

    static func recorded(_ pool: ConnectionPool) throws -> [String] {
        try pool.withConnection { connection in
            try connection.query("SELECT name FROM schema_migrations ORDER BY version").map {
                try $0.decode("name", as: String.self)
            }
        }
    }

    @Test func repositoryMigrationsApplyOnceAndMatchTheTemplate() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let pool = db.pool(max: 1)
        let migrator = Migrator(directory: TestEnvironment.repoRoot.appendingPathComponent("sql"))
        let applied = try migrator.migrate(pool)
        #expect(applied.first == "001_init")
        #expect(try migrator.migrate(pool) == [])
        #expect(try Self.tables(pool).contains("orders"))
        let checksum: String = try pool.withConnection {
            try $0.query("SELECT checksum FROM schema_migrations WHERE version = 1")[0].decode("checksum")
        }
        #expect(checksum.count == 64)
    }

    @Test func filesRunInNumericOrderAndOthersAreIgnored() throws {
        let folder = try Folder([
            "10_c.sql": "INSERT INTO log (name) VALUES ('c');",
            "2_b.sql": "INSERT INTO log (name) VALUES ('b');",
            "1_a.sql": "CREATE TABLE log (id serial PRIMARY KEY, name text);\nINSERT INTO log (name) VALUES ('a');",
            "README.md": "not a migration", "notes.sql": "SELECT broken", "3-x.sql": "SELECT broken",
        ])
        defer { folder.remove() }
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let pool = db.pool(max: 1)
        #expect(try Migrator(directory: folder.url).migrate(pool) == ["1_a", "2_b", "10_c"])
        let names = try pool.withConnection { connection in
            try connection.query("SELECT name FROM log ORDER BY id").map { try $0.decode("name", as: String.self) }
        }
        #expect(names == ["a", "b", "c"])
    }

    /// Two migrators (two threads, two pools) on one fresh database: every file is applied exactly once
    /// (a second application of a plain CREATE TABLE would fail), and the later one finds nothing to do.
    @Test func concurrentMigratorsApplyEachMigrationOnce() throws {
        let folder = try Folder([
            "001_one.sql": "CREATE TABLE one (id int);",
            "002_slow.sql": "SELECT pg_sleep(0.3);\nCREATE TABLE two (id int);",
            "003_three.sql": "CREATE TABLE three (id int);",
        ])
        defer { folder.remove() }
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let results = Results()
        let finished = Shared.onThreads(2) { _ in
            let pool = db.pool(max: 1)
            results.add(Result { try Migrator(directory: folder.url).migrate(pool) })
        }
        #expect(finished)
        let all = results.all
        #expect(all.count == 2)
        let applied = try all.map { try $0.get() }
        #expect(applied.flatMap { $0 }.sorted() == ["001_one", "002_slow", "003_three"])
        #expect(applied.contains([]))
        let pool = db.pool(max: 1)
        #expect(try Self.recorded(pool) == ["001_one", "002_slow", "003_three"])
        #expect(try Self.tables(pool) == ["one", "schema_migrations", "three", "two"])
    }

    @Test func editedAppliedMigrationIsRefusedNamingTheFile() throws {
        let folder = try Folder(["001_a.sql": "CREATE TABLE a (id int);", "002_b.sql": "CREATE TABLE b (id int);"])
        defer { folder.remove() }
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let pool = db.pool(max: 1)
        _ = try Migrator(directory: folder.url).migrate(pool)
        try folder.write("002_b.sql", "CREATE TABLE b (id int); -- edited")
        try folder.write("003_c.sql", "CREATE TABLE c (id int);")
        let error = try #require(throws: MigrationError.self) { try Migrator(directory: folder.url).migrate(pool) }
        #expect(error.file == "002_b.sql")
        #expect(error.description.contains("002_b.sql"))
        #expect(try !Self.tables(pool).contains("c"))
    }

    @Test func missingAppliedMigrationIsRefusedNamingTheFile() throws {
        let folder = try Folder(["001_a.sql": "CREATE TABLE a (id int);", "002_b.sql": "CREATE TABLE b (id int);"])
        defer { folder.remove() }
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let pool = db.pool(max: 1)
        _ = try Migrator(directory: folder.url).migrate(pool)
        try FileManager.default.removeItem(at: folder.url.appendingPathComponent("001_a.sql"))
        let error = try #require(throws: MigrationError.self) { try Migrator(directory: folder.url).migrate(pool) }
        #expect(error.file == "001_a.sql")
    }

    @Test func failingMigrationLeavesNoTraceAndNamesTheFile() throws {
        let folder = try Folder([
            "001_ok.sql": "CREATE TABLE ok (id int);",
            "002_bad.sql": "CREATE TABLE half (id int);\nSELEC broken;",
            "003_later.sql": "CREATE TABLE later (id int);",
        ])
        defer { folder.remove() }
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let pool = db.pool(max: 1)
        let error = try #require(throws: MigrationError.self) { try Migrator(directory: folder.url).migrate(pool) }
        #expect(error.file == "002_bad.sql")
        #expect(try Self.recorded(pool) == ["001_ok"])
        #expect(try Self.tables(pool) == ["ok", "schema_migrations"])
        // Fixed file: the next run picks up where it stopped.
        try folder.write("002_bad.sql", "CREATE TABLE half (id int);")
        #expect(try Migrator(directory: folder.url).migrate(pool) == ["002_bad", "003_later"])
    }

    @Test func duplicateVersionsAreRefused() throws {
        let folder = try Folder(["001_a.sql": "SELECT 1;", "1_b.sql": "SELECT 1;"])
        defer { folder.remove() }
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        #expect(throws: MigrationError.self) { try Migrator(directory: folder.url).migrate(db.pool(max: 1)) }
    }

    @Test func byteOrderMarkIsIgnoredAndMissingFolderIsNamed() throws {
        let folder = try Folder([:])
        defer { folder.remove() }
        try Data([0xEF, 0xBB, 0xBF] + Array("CREATE TABLE bom (id int);".utf8)).write(
            to: folder.url.appendingPathComponent("001_bom.sql"))
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let pool = db.pool(max: 1)
        #expect(try Migrator(directory: folder.url).migrate(pool) == ["001_bom"])
        let missing = folder.url.appendingPathComponent("nope")
        let error = try #require(throws: MigrationError.self) { try Migrator(directory: missing).migrate(pool) }
        #expect(error.file == missing.path)
    }

    final class Results: @unchecked Sendable {  // guarded by lock
        private let lock = NSLock()
        private var values: [Result<[String], any Error>] = []
        func add(_ r: Result<[String], any Error>) { lock.withLock { values.append(r) } }
        var all: [Result<[String], any Error>] { lock.withLock { values } }
    }
}
