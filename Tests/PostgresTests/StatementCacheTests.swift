import Foundation
import TestSupport
import Testing

@testable import Postgres

/// The per-connection prepared statement cache is invisible to callers: schema changes, DISCARD ALL and
/// differing parameter types all keep working, and it stays bounded.
@Suite struct StatementCacheTests {
    static func prepared(_ connection: Connection) throws -> Int {
        try connection.query("SELECT count(*) AS n FROM pg_prepared_statements")[0].decode("n")
    }

    @Test func repeatedStatementIsPreparedOnce() throws {
        let connection = try Connection(url: TestEnvironment.databaseURL)
        let before = try Self.prepared(connection)
        for i in 0..<5 {
            #expect(try connection.query("SELECT $1::int8 * 2 AS v", [i])[0].decode("v", as: Int.self) == i * 2)
        }
        // The SELECT above and the count query itself.
        #expect(try Self.prepared(connection) == before + 1)
    }

    @Test func sameSQLWithOtherParameterTypesGetsItsOwnStatement() throws {
        let connection = try Connection(url: TestEnvironment.databaseURL)
        #expect(try connection.query("SELECT $1 AS v", [Int64(7)])[0].decode("v", as: String.self) == "7")
        #expect(try connection.query("SELECT $1 AS v", [true])[0].decode("v", as: String.self) == "t")
        #expect(try connection.query("SELECT $1::text AS v", ["x"])[0].decode("v", as: String.self) == "x")
    }

    @Test func schemaChangeUnderACachedStatementIsTransparent() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try Connection(url: db.url)
        try connection.execute("CREATE TABLE t (a int)")
        try connection.execute("INSERT INTO t VALUES (1)")
        #expect(try connection.query("SELECT * FROM t")[0].columnNames == ["a"])
        try connection.execute("ALTER TABLE t ADD COLUMN b text DEFAULT 'x'")
        let row = try connection.query("SELECT * FROM t")[0]
        #expect(row.columnNames == ["a", "b"])
        #expect(try row.decode("b", as: String.self) == "x")
    }

    @Test func renamedColumnUnderACachedStatementIsSeen() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try Connection(url: db.url)
        try connection.execute("CREATE TABLE t (a int)")
        try connection.execute("INSERT INTO t VALUES (1)")
        #expect(try connection.query("SELECT * FROM t")[0].columnNames == ["a"])
        #expect(try connection.query("SELECT * FROM t")[0].columnNames == ["a"])
        // Same statement, same types, new name: the column layout kept from the last result must not be reused.
        try connection.execute("ALTER TABLE t RENAME COLUMN a TO c")
        let row = try connection.query("SELECT * FROM t")[0]
        #expect(row.columnNames == ["c"])
        #expect(try row.decode("c", as: Int.self) == 1)
    }

    @Test(arguments: ["plain", "with\u{0}nul", "\u{0}", "end\u{0}"])
    func parametersAndSQLWithNULAreRefused(_ text: String) throws {
        let connection = try Connection(url: TestEnvironment.databaseURL)
        #expect(Connection.containsNUL(text) == text.utf8.contains(0))
        if text.utf8.contains(0) {
            #expect(throws: PostgresError.self) { try connection.query("SELECT $1::text AS v", [text]) }
            #expect(throws: PostgresError.self) { try connection.query("SELECT 1 -- \(text)") }
        } else {
            #expect(try connection.query("SELECT $1::text AS v", [text])[0].decode("v", as: String.self) == text)
        }
    }

    @Test func discardAllIsTransparentOutsideTransactions() throws {
        let connection = try Connection(url: TestEnvironment.databaseURL)
        #expect(try connection.query("SELECT 41 + $1 AS v", [1])[0].decode("v", as: Int.self) == 42)
        try connection.execute("DISCARD ALL")
        #expect(try connection.query("SELECT 41 + $1 AS v", [1])[0].decode("v", as: Int.self) == 42)
        // Inside a transaction the failure is reported (the transaction is aborted), then healed.
        try connection.execute("DEALLOCATE ALL")
        #expect(throws: PostgresError.self) {
            try connection.transaction { connection in _ = try connection.query("SELECT 41 + $1 AS v", [1]) }
        }
        #expect(try connection.query("SELECT 41 + $1 AS v", [1])[0].decode("v", as: Int.self) == 42)
    }

    @Test func cacheIsBounded() throws {
        let connection = try Connection(url: TestEnvironment.databaseURL)
        for i in 0..<300 {
            #expect(try connection.query("SELECT \(i) AS v")[0].decode("v", as: Int.self) == i)
        }
        #expect(try Self.prepared(connection) <= 256)
    }
}
