import Foundation
import Postgres
import Testing

/// Every supported type sent as a parameter, cast on the server, printed by the server and decoded again,
/// plus checks of what the server *saw*, so that an encoder bug cannot be hidden by a matching decoder bug.
@Suite struct RoundTripTests {
    static let strings = [
        "", "plain", "quote ' double \" backslash \\ semicolon ; dollar $1", "line\nbreak\ttab",
        "emoji 😀👩‍👩‍👧‍👦 flags 🇨🇭", "combining e\u{301} vs precomposed \u{e9}", "ＣＪＫ 日本語 עברית العربية",
        String(repeating: "long ", count: 20_000),
    ]

    @Test(arguments: strings)
    func string(_ value: String) throws {
        #expect(try Shared.echo(value, as: "text") == value)
        #expect(try Shared.scalar("SELECT length($1::text)", [value], as: Int.self) == value.unicodeScalars.count)
    }

    @Test func stringWithNULIsRefusedNotTruncated() {
        #expect(throws: PostgresError.self) { try Shared.echo("a\u{0}b", as: "text") }
    }

    @Test(arguments: [Int64.min, -1, 0, 1, 9_007_199_254_740_993, Int64.max])
    func int64(_ value: Int64) throws {
        #expect(try Shared.echo(value, as: "int8") == value)
        #expect(try Shared.echo(Int(value), as: "int8") == Int(value))
        #expect(try Shared.scalar("SELECT $1::int8::text", [value], as: String.self) == String(value))
    }

    @Test(arguments: [Int32.min, -1, 0, Int32.max])
    func int32(_ value: Int32) throws {
        #expect(try Shared.echo(value, as: "int4") == value)
    }

    @Test func intParameterIsBigintSoArithmeticDoesNotOverflowInt4() throws {
        #expect(try Shared.scalar("SELECT $1 + 1", [3_000_000_000], as: Int.self) == 3_000_000_001)
    }

    @Test(arguments: [true, false])
    func bool(_ value: Bool) throws {
        #expect(try Shared.echo(value, as: "bool") == value)
        #expect(try Shared.scalar("SELECT $1 IS TRUE", [value], as: Bool.self) == value)
    }

    @Test(arguments: [
        0.0, -0.0, 0.1, -1.5, 1e100, -1e-300, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, .pi,
        .infinity, -.infinity,
    ])
    func double(_ value: Double) throws {
        let echoed = try Shared.echo(value, as: "float8")
        #expect(echoed == value && echoed.sign == value.sign)
    }

    @Test func doubleNaN() throws {
        #expect(try Shared.echo(Double.nan, as: "float8").isNaN)
        #expect(try Shared.scalar("SELECT $1 = 'NaN'::float8", [Double.nan], as: Bool.self))
    }

    @Test func uuid() throws {
        let value = UUID()
        #expect(try Shared.echo(value, as: "uuid") == value)
        #expect(try Shared.scalar("SELECT $1::uuid::text", [value], as: String.self) == value.uuidString.lowercased())
    }

    @Test(arguments: [
        Int64(1_795_290_723_123_456), 1_795_290_723_000_001, 0, -500_000, 951_825_600_999_999,
        -62_135_596_800_000_000,
    ])
    func date(_ micros: Int64) throws {
        let value = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
        let echoed = try Shared.echo(value, as: "timestamptz")
        #expect(Shared.micros(echoed) == micros)
        let serverMicros = try Shared.scalar(
            "SELECT (extract(epoch FROM $1::timestamptz) * 1000000)::int8", [value], as: Int64.self)
        #expect(serverMicros == micros)
    }

    @Test func dateFromServerInAnotherTimeZone() throws {
        try Shared.pool.withConnection { connection in
            try connection.transaction { connection in
                try connection.execute("SET LOCAL TIME ZONE 'Asia/Kolkata'")
                let row = try connection.query(
                    "SELECT '2026-11-21 19:52:03.123456+00'::timestamptz AS t, '2026-11-21 19:52:03.123456+00'::timestamptz::text AS s"
                )[0]
                #expect(try row.decode("s", as: String.self).hasSuffix("+05:30"))
                #expect(Shared.micros(try row.decode("t", as: Date.self)) == 1_795_290_723_123_456)
            }
            // The session is back in UTC after the transaction.
            #expect(try connection.query("SELECT current_setting('TimeZone') AS z")[0].decode("z") == "UTC")
        }
    }

    @Test(arguments: [
        #"{"a":1}"#, #"[1,2.5,"x",null,true]"#, #"{"nested":{"emoji":"😀","combining":"e\u0301","esc":"\"\\"}}"#,
        #""just a string""#, "null",
    ])
    func json(_ text: String) throws {
        // Sent as jsonb, so the server normalizes the text (spacing, key order): compare documents, not bytes.
        let echoed = try Shared.echo(PostgresJSON(text), as: "json")
        let parse = { (s: String) throws -> NSObject? in
            try JSONSerialization.jsonObject(with: Data(s.utf8), options: .fragmentsAllowed) as? NSObject
        }
        #expect(try parse(echoed.text) == parse(text))
        #expect(try Shared.scalar("SELECT $1::jsonb = $2::jsonb", [echoed, PostgresJSON(text)], as: Bool.self))
    }

    @Test func jsonReachesTheServerAsJSON() throws {
        let document = PostgresJSON(#"{"nested":{"emoji":"😀","n":[1,2]}}"#)
        #expect(try Shared.scalar("SELECT $1 -> 'nested' ->> 'emoji'", [document], as: String.self) == "😀")
        #expect(try Shared.scalar("SELECT jsonb_array_length($1 -> 'nested' -> 'n')", [document], as: Int.self) == 2)
    }

    @Test func jsonCodable() throws {
        struct Payload: Codable, Equatable { var name: String; var tags: [String]; var amount: Int64 }
        let value = Payload(name: "Zoë 😀", tags: ["a", "ü"], amount: Int64.max)
        let echoed = try Shared.echo(PostgresJSON(encoding: value), as: "jsonb")
        #expect(try echoed.decode(Payload.self) == value)
        #expect(
            try Shared.scalar("SELECT $1::jsonb ->> 'name'", [PostgresJSON(encoding: value)], as: String.self)
                == "Zoë 😀")
    }

    @Test(arguments: [[UInt8](), [0], [0, 255, 92, 120, 39], Array(0...255), [UInt8](repeating: 7, count: 100_000)])
    func bytea(_ value: [UInt8]) throws {
        #expect(try Shared.echo(value, as: "bytea") == value)
        #expect(try Shared.scalar("SELECT octet_length($1::bytea)", [value], as: Int.self) == value.count)
    }

    @Test func nullsOfEveryType() throws {
        try Shared.pool.withConnection { connection in
            let params: [any PostgresEncodable] = [
                String?.none, Int?.none, Int32?.none, Int64?.none, Bool?.none, Double?.none, UUID?.none, Date?.none,
                PostgresJSON?.none, [UInt8]?.none,
            ]
            let row = try connection.query(
                """
                SELECT $1::text AS s, $2::int8 AS i, $3::int4 AS i32, $4::int8 AS i64, $5::bool AS b,
                       $6::float8 AS d, $7::uuid AS u, $8::timestamptz AS t, $9::jsonb AS j, $10::bytea AS y,
                       num_nulls($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS nulls
                """, params)[0]
            #expect(try row.decode("nulls", as: Int.self) == 10)
            #expect(try row.decode("s", as: String?.self) == nil)
            #expect(try row.decode("i", as: Int?.self) == nil)
            #expect(try row.decode("i32", as: Int32?.self) == nil)
            #expect(try row.decode("i64", as: Int64?.self) == nil)
            #expect(try row.decode("b", as: Bool?.self) == nil)
            #expect(try row.decode("d", as: Double?.self) == nil)
            #expect(try row.decode("u", as: UUID?.self) == nil)
            #expect(try row.decode("t", as: Date?.self) == nil)
            #expect(try row.decode("j", as: PostgresJSON?.self) == nil)
            #expect(try row.decode("y", as: [UInt8]?.self) == nil)
            #expect(row.isNull("y"))
        }
    }

    @Test func optionalsWithValues() throws {
        let some: Int? = 42
        #expect(try Shared.echo(some, as: "int8") == 42)
        let text: String? = "x"
        #expect(try Shared.echo(text, as: "text") == "x")
    }

    @Test func rowsOutliveTheirResultAndConnection() throws {
        let rows = try Shared.pool.withConnection { connection in
            try connection.query("SELECT g AS n, repeat('x', g) AS s FROM generate_series(1, 200) AS g")
        }
        #expect(rows.count == 200)
        #expect(try rows[199].decode("n", as: Int.self) == 200)
        #expect(try rows[199].decode("s", as: String.self).count == 200)
        #expect(rows[0].columnNames == ["n", "s"])
    }

    @Test func executeReturnsRowsAffected() throws {
        try Shared.pool.withConnection { connection in
            try connection.transaction { connection in
                try connection.execute("CREATE TEMP TABLE affected (n int) ON COMMIT DROP")
                #expect(try connection.execute("INSERT INTO affected SELECT generate_series(1, 7)") == 7)
                #expect(try connection.execute("UPDATE affected SET n = n + 1 WHERE n > $1", [Int32(4)]) == 3)
                #expect(try connection.execute("CREATE TEMP TABLE other (n int) ON COMMIT DROP") == 0)
            }
        }
    }
}

/// One-dimensional arrays, as used for `= ANY($1)`.
@Suite struct ArrayTests {
    @Test(arguments: [
        [String](), ["a"], ["with space", "comma,", "quote\"", "back\\slash", "{brace}", "NULL", "", "😀 e\u{301}"],
    ])
    func textArrays(_ values: [String]) throws {
        let echoed = try Shared.echo(PostgresArray(values), as: "text[]")
        #expect(echoed.elements == values)
        #expect(
            try Shared.scalar("SELECT cardinality($1::text[])", [PostgresArray(values)], as: Int.self) == values.count)
    }

    @Test func nullElementsAndOtherTypes() throws {
        let withNull: [Int64?] = [1, nil, Int64.min]
        #expect(try Shared.echo(PostgresArray(withNull), as: "int8[]").elements == withNull)
        let ids = [UUID(), UUID()]
        #expect(try Shared.echo(PostgresArray(ids), as: "uuid[]").elements == ids)
        // A NULL element cannot decode into a non-optional element type: a decoding error naming the column.
        let error = try #require(throws: PostgresError.self) {
            try Shared.scalar("SELECT ARRAY[1, NULL]::int8[] AS list", as: PostgresArray<Int64>.self)
        }
        #expect(error.kind == .decoding)
        #expect(error.column == "list")
    }

    @Test func anyInfersTheElementType() throws {
        let ids = [UUID(), UUID()]
        let count = try Shared.scalar(
            "SELECT count(*) FROM (VALUES ($2::uuid), (gen_random_uuid())) AS v(id) WHERE id = ANY($1)",
            [PostgresArray(ids), ids[1]], as: Int.self)
        #expect(count == 1)
    }

    @Test(arguments: ["", "{", "{{1,2},{3,4}}", "{\"a}", "{a,}", "{\"a\"b}"])
    func malformedArraysAreRejected(_ text: String) {
        #expect(PostgresArray<String>(postgresText: text) == nil)
    }
}
