import Foundation
import Testing

@testable import Postgres

/// The pure text codecs, without a server: exhaustive tables of the formats Postgres prints and parses.
@Suite struct CodecTests {
    static let timestamps: [(String, Int64)] = [
        ("1970-01-01 00:00:00+00", 0),
        ("2026-11-21 19:52:03.123456+00", 1_795_290_723_123_456),
        ("2026-11-21 19:52:03.1+00", 1_795_290_723_100_000),
        ("2026-11-21 19:52:03+00", 1_795_290_723_000_000),
        ("2026-11-22 01:22:03.123456+05:30", 1_795_290_723_123_456),
        ("2026-11-21 14:52:03.123456-05", 1_795_290_723_123_456),
        ("1969-12-31 23:59:59.5+00", -500_000),
        ("2000-02-29 12:00:00+00", 951_825_600_000_000),
        ("1900-01-01 00:00:00+00:09:21", -2_208_989_361_000_000),
        ("2026-11-21T19:52:03.123456+00", 1_795_290_723_123_456),
        ("2026-11-21 19:52:03.123456", 1_795_290_723_123_456),
        ("0001-01-01 00:00:00+00", -62_135_596_800_000_000),
        ("0001-12-31 00:00:00+00 BC", -62_135_683_200_000_000),
    ]

    @Test(arguments: timestamps)
    func parsesPostgresTimestampOutput(_ text: String, _ micros: Int64) throws {
        let date = try #require(PostgresTimestamp.parse(text))
        #expect(Shared.micros(date) == micros)
    }

    @Test(arguments: [
        "", "2026-11-21", "2026-13-01 00:00:00+00", "2026-11-21 25:00:00+00", "2026-11-21 19:52:03.1234567+00",
        "2026-11-21 19:52:03+0", "2026-11-21 19:52:03 +00", "x2026-11-21 19:52:03+00", "2026-11-21 19:52:03+00x",
    ])
    func rejectsMalformedTimestamps(_ text: String) {
        #expect(PostgresTimestamp.parse(text) == nil)
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000+00"),
        (1_795_290_723_123_456, "2026-11-21T19:52:03.123456+00"),
        (-500_000, "1969-12-31T23:59:59.500000+00"),
        (-62_135_683_200_000_000, "0001-12-31T00:00:00.000000+00 BC"),
    ])
    func formatsTimestamps(_ micros: Int64, _ text: String) {
        #expect(PostgresTimestamp.format(Date(timeIntervalSince1970: Double(micros) / 1_000_000)) == text)
    }

    @Test func infinityMapsToDistantDates() {
        #expect(PostgresTimestamp.parse("infinity") == .distantFuture)
        #expect(PostgresTimestamp.parse("-infinity") == .distantPast)
    }

    /// Every day of a 400-year cycle (plus a margin) survives days -> civil -> days.
    @Test func civilDateArithmeticIsConsistent() {
        for days in Int64(-146_097 - 800)...Int64(146_097 + 800) {
            let (y, m, d) = PostgresTimestamp.civil(fromDays: days)
            #expect(PostgresTimestamp.days(fromCivil: y, m, d) == days)
        }
    }

    @Test(arguments: [
        ([UInt8](), "\\x"), ([0x00, 0xff, 0x10, 0xab], "\\x00ff10ab"), (Array("hi".utf8), "\\x6869"),
    ])
    func byteaHex(_ bytes: [UInt8], _ text: String) {
        #expect(bytes.postgresText == text)
        #expect([UInt8](postgresText: text) == bytes)
    }

    @Test(arguments: ["", "00ff", "\\x0", "\\xzz", "\\X00"])
    func byteaRejectsMalformedHex(_ text: String) {
        #expect([UInt8](postgresText: text) == nil)
    }

    @Test(arguments: [("t", true), ("f", false)])
    func bools(_ text: String, _ value: Bool) {
        #expect(Bool(postgresText: text) == value)
        #expect(value.postgresText == text)
    }

    @Test(arguments: ["true", "1", "T", ""]) func boolRejectsOtherSpellings(_ text: String) {
        #expect(Bool(postgresText: text) == nil)
    }

    @Test func doubleSpecialValues() {
        #expect(Double.nan.postgresText == "NaN")
        #expect(Double.infinity.postgresText == "Infinity")
        #expect((-Double.infinity).postgresText == "-Infinity")
        #expect(Double(postgresText: "NaN")!.isNaN)
        #expect(Double(postgresText: "-Infinity") == -.infinity)
        #expect(Double(postgresText: "1e+100") == 1e100)
    }

    @Test func optionalsEncodeNullAndKeepTheirType() {
        let none: Int? = nil
        #expect(none.postgresText == nil)
        #expect(Int?.postgresTypeOID == Int.postgresTypeOID)
        #expect(Int?.postgresNull == .some(nil))
        #expect(Int.postgresNull == nil)
    }

    @Test(arguments: [
        ("invalid input syntax for type uuid: \"secret\"", "22P02", "invalid input syntax for type uuid"),
        (
            "duplicate key value violates unique constraint \"p_pkey\"", "23505",
            "duplicate key value violates unique constraint \"p_pkey\""
        ),
    ])
    func dataExceptionMessagesDropTheValue(_ message: String, _ state: String, _ expected: String) {
        #expect(PostgresError.redacted(message, sqlState: state) == expected)
    }

    @Test(arguments: [
        ("23505", PostgresError.Kind.uniqueViolation), ("23503", .foreignKeyViolation), ("23514", .checkViolation),
        ("40001", .serializationFailure), ("40P01", .deadlockDetected), ("08006", .connectionLost),
        ("08P01", .connectionLost), ("57P01", .connectionLost), ("57P02", .connectionLost),
        ("57P03", .connectionLost), ("42601", .other), ("23502", .other),
    ])
    func sqlStateMapping(_ state: String, _ kind: PostgresError.Kind) {
        #expect(PostgresError.kind(forSQLState: state) == kind)
    }

    @Test func descriptionsAreGenericAndNameTheCondition() {
        #expect(
            PostgresError(.uniqueViolation, sqlState: "23505").description == "database error (23505 unique_violation)")
        #expect(PostgresError(.other, sqlState: "XX999").description == "database error (SQLSTATE XX999)")
        #expect(PostgresError(.connectFailed).description == "could not connect to the database")
    }
}
