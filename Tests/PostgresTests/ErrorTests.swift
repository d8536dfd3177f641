import Foundation
import Postgres
import TestSupport
import Testing

/// SQLSTATE mapping, decode errors that name the column, and messages that never leak data or secrets.
@Suite struct ErrorTests {
    static func insertProduct(_ connection: Connection, id: String, amount: Int = 100) throws {
        try connection.execute(
            "INSERT INTO products (id, title, unit_amount, currency) VALUES ($1, $2, $3, $4)",
            [id, "Title", amount, "eur"])
    }

    @Test func uniqueViolationIsTypedWithConstraintAndNoData() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let pool = db.pool(max: 1)
        try pool.withConnection { try Self.insertProduct($0, id: "secret-sku-4711") }
        let error = try #require(throws: PostgresError.self) {
            try pool.withConnection { try Self.insertProduct($0, id: "secret-sku-4711") }
        }
        #expect(error.kind == .uniqueViolation)
        #expect(error.sqlState == "23505")
        #expect(error.constraint == "products_pkey")
        #expect(error.description == "database error (23505 unique_violation)")
        #expect(error.detail.contains("products_pkey"))
        for text in [error.description, error.detail, String(describing: error)] {
            #expect(!text.contains("secret-sku"))
            #expect(!text.contains("INSERT"))
        }
    }

    @Test func foreignKeyAndCheckViolations() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let pool = db.pool(max: 1)
        let fk = try #require(throws: PostgresError.self) {
            try pool.withConnection { connection in
                try connection.execute(
                    """
                    INSERT INTO order_items (order_id, line_no, product_id, title, unit_amount, quantity, amount_total)
                    VALUES ($1, 0, 'nope', 't', 1, 1, 1)
                    """, [UUID()])
            }
        }
        #expect(fk.kind == .foreignKeyViolation)
        #expect(fk.constraint?.hasPrefix("order_items_") == true)
        let check = try #require(throws: PostgresError.self) {
            try pool.withConnection { try Self.insertProduct($0, id: "p1", amount: 0) }
        }
        #expect(check.kind == .checkViolation)
        #expect(check.constraint == "products_unit_amount_check")
    }

    @Test func dataExceptionDetailDropsTheValue() throws {
        let error = try #require(throws: PostgresError.self) {
            try Shared.scalar("SELECT $1::uuid", ["not-a-uuid-SECRET"], as: UUID.self)
        }
        #expect(error.kind == .other)
        #expect(error.sqlState == "22P02")
        #expect(error.detail == "invalid input syntax for type uuid")
        #expect(!String(describing: error).contains("SECRET"))
    }

    @Test func syntaxErrorIsOtherWithItsState() throws {
        let error = try #require(throws: PostgresError.self) { try Shared.scalar("SELEC 1", as: Int.self) }
        #expect(error.kind == .other)
        #expect(error.sqlState == "42601")
        #expect(error.description == "database error (42601 syntax_error)")
    }

    @Test func multipleStatementsAreRefused() throws {
        let error = try #require(throws: PostgresError.self) { try Shared.scalar("SELECT 1; SELECT 2", as: Int.self) }
        #expect(error.sqlState == "42601")
    }

    struct DecodeCase: Sendable, CustomTestStringConvertible {
        var sql: String
        var column: String
        var decode: @Sendable (Row) throws -> Void
        var testDescription: String { "\(column): \(sql)" }
    }

    static let decodeCases: [DecodeCase] = [
        DecodeCase(sql: "SELECT NULL::int AS amount", column: "amount") { _ = try $0.decode("amount", as: Int.self) },
        DecodeCase(sql: "SELECT 'SECRETabc' AS qty", column: "qty") { _ = try $0.decode("qty", as: Int.self) },
        DecodeCase(sql: "SELECT 'SECRET' AS flag", column: "flag") { _ = try $0.decode("flag", as: Bool.self) },
        DecodeCase(sql: "SELECT 'SECRET' AS id", column: "id") { _ = try $0.decode("id", as: UUID.self) },
        DecodeCase(sql: "SELECT 'SECRET' AS at", column: "at") { _ = try $0.decode("at", as: Date.self) },
        DecodeCase(sql: "SELECT 3000000000::int8 AS small", column: "small") {
            _ = try $0.decode("small", as: Int32.self)
        },
        DecodeCase(sql: "SELECT 1 AS present", column: "absent") { _ = try $0.decode("absent", as: Int.self) },
        DecodeCase(sql: "SELECT 'SECRET'::text AS blob", column: "blob") {
            _ = try $0.decode("blob", as: [UInt8].self)
        },
        DecodeCase(sql: "SELECT 1.5::numeric AS whole", column: "whole") { _ = try $0.decode("whole", as: Int?.self) },
    ]

    @Test(arguments: decodeCases)
    func decodeErrorsNameTheColumnNotTheValue(_ testCase: DecodeCase) throws {
        let row = try Shared.pool.withConnection { try $0.query(testCase.sql)[0] }
        let error = try #require(throws: PostgresError.self) { try testCase.decode(row) }
        #expect(error.kind == .decoding)
        #expect(error.column == testCase.column)
        #expect(error.description.contains("\"\(testCase.column)\""))
        #expect(!String(describing: error).contains("SECRET"))
        #expect(!error.detail.contains("SECRET"))
    }

    @Test func decodeErrorNamesTheExpectedType() throws {
        let row = try Shared.pool.withConnection { try $0.query("SELECT NULL::int AS amount")[0] }
        let error = try #require(throws: PostgresError.self) { try row.decode("amount", as: Int64.self) }
        #expect(error.description == "column \"amount\" is NULL, expected Int64")
    }

    static let secretURLs = [
        "postgres://postgres:hunter2SECRET@127.0.0.1:1/checkout",
        "host=127.0.0.1 port=1 user=postgres password=hunter2SECRET dbname=checkout",
        "host=127.0.0.1 password=hunter2SECRET garbage",
        "postgres://postgres:hunter2SECRET@127.0.0.1:1/checkout?nonsense=1",
    ]

    @Test(arguments: secretURLs)
    func connectFailureIsClearAndHidesThePassword(_ url: String) throws {
        let started = ContinuousClock.now
        let error = try #require(throws: PostgresError.self) { try Connection(url: url) }
        #expect(error.kind == .connectFailed)
        #expect(error.description == "could not connect to the database")
        #expect(!error.detail.isEmpty)
        #expect(!error.detail.contains("hunter2SECRET"))
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func connectFailureForAMissingDatabaseSaysSo() throws {
        let error = try #require(throws: PostgresError.self) {
            try Connection(url: TestDatabase.url(forDatabase: "no_such_database"))
        }
        #expect(error.kind == .connectFailed)
        #expect(error.detail.contains("no_such_database"))
    }

    @Test func connectionSessionIsPinned() throws {
        let connection = try Connection(url: TestEnvironment.databaseURL, applicationName: "pg-tests")
        let row = try connection.query(
            """
            SELECT current_setting('TimeZone') AS tz, current_setting('application_name') AS app,
                   current_setting('client_encoding') AS enc, current_setting('DateStyle') AS style
            """)[0]
        #expect(try row.decode("tz", as: String.self) == "UTC")
        #expect(try row.decode("app", as: String.self) == "pg-tests")
        #expect(try row.decode("enc", as: String.self) == "UTF8")
        #expect(try row.decode("style", as: String.self) == "ISO, YMD")
        #expect(!connection.isBroken)
    }

    @Test func urlSettingsAreKeptAlongsideThePinnedOnes() throws {
        let separator = TestEnvironment.databaseURL.contains("?") ? "&" : "?"
        let url =
            TestEnvironment.databaseURL + separator
            + "application_name=from-url&connect_timeout=3&options=-c%20statement_timeout%3D1234"
        let connection = try Connection(url: url)
        let row = try connection.query(
            """
            SELECT current_setting('statement_timeout') AS st, current_setting('application_name') AS app,
                   current_setting('TimeZone') AS tz
            """)[0]
        #expect(try row.decode("st", as: String.self) == "1234ms")
        #expect(try row.decode("app", as: String.self) == "from-url")
        #expect(try row.decode("tz", as: String.self) == "UTC")
        let timeout = try #require(throws: PostgresError.self) {
            try connection.execute("SET statement_timeout = 50; SELECT pg_sleep(1)")
        }
        #expect(timeout.sqlState == "42601")  // two statements: refused before anything runs
        try connection.execute("SET statement_timeout = 50")
        let canceled = try #require(throws: PostgresError.self) { try connection.execute("SELECT pg_sleep(1)") }
        #expect(canceled.sqlState == "57014")
        #expect(!connection.isBroken)
    }

    @Test func keyValueConnectionStringsWork() throws {
        let components = try #require(URLComponents(string: TestEnvironment.databaseURL))
        let conninfo =
            "host=\(components.host ?? "127.0.0.1") port=\(components.port ?? 5432) "
            + "user='\(components.user ?? "postgres")' dbname=checkout application_name='key value'"
        let connection = try Connection(url: conninfo)
        let row = try connection.query("SELECT current_database() AS db, current_setting('application_name') AS app")[0]
        #expect(try row.decode("db", as: String.self) == "checkout")
        #expect(try row.decode("app", as: String.self) == "key value")
    }
}
