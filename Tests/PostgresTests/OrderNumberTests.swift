import Foundation
import Postgres
import TestSupport
import Testing

/// `next_order_number(prefix)` from sql/001: `PREFIX-YYYYMMDD-NNNN`, UTC date, unique, never truncated.
@Suite struct OrderNumberTests {
    static func next(_ connection: Connection, _ prefix: String = "DO") throws -> String {
        try connection.query("SELECT next_order_number($1) AS n", [prefix])[0].decode("n")
    }

    @Test func wellFormedWithTodaysUTCDate() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        try db.pool(max: 1).withConnection { connection in
            let today = { () throws -> String in
                try connection.query("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD') AS d")[0].decode("d")
            }
            let before = try today()
            let number = try Self.next(connection)
            let after = try today()
            #expect(number.wholeMatch(of: /DO-\d{8}-\d{4,}/) != nil)
            let date = number.split(separator: "-")[1]
            #expect(date == before || date == after)
            #expect(number.hasSuffix("-0001"))
        }
    }

    @Test func uniqueAcrossManyCallsAndThreads() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let pool = db.pool(max: 4)
        let collected = Collected()
        let finished = Shared.onThreads(4) { _ in
            do {
                try pool.withConnection { connection in
                    let rows = try connection.query("SELECT next_order_number('DO') AS n FROM generate_series(1, 250)")
                    collected.add(try rows.map { try $0.decode("n", as: String.self) })
                }
            } catch {
                Issue.record("\(error)")
            }
        }
        #expect(finished)
        let numbers = collected.all
        #expect(numbers.count == 1000)
        #expect(Set(numbers).count == 1000)
        #expect(numbers.allSatisfy { $0.wholeMatch(of: /DO-\d{8}-\d{4}/) != nil })
    }

    @Test(arguments: [(Int64(12344), "12345"), (1233, "1234"), (1, "0002"), (99_999_999, "100000000")])
    func neverTruncated(_ current: Int64, _ suffix: String) throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        try db.pool(max: 1).withConnection { connection in
            try connection.execute("SELECT setval('order_number_seq', $1)", [current])
            let number = try Self.next(connection, "TEST")
            #expect(number.split(separator: "-").last.map(String.init) == suffix)
            #expect(number.wholeMatch(of: /TEST-\d{8}-\d{4,}/) != nil)
        }
    }

    @Test func twelveThousandThreeHundredFortyFiveIsDistinctFromTwelveThirtyFour() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        try db.pool(max: 1).withConnection { connection in
            try connection.execute("SELECT setval('order_number_seq', 1233)")
            let short = try Self.next(connection)
            try connection.execute("SELECT setval('order_number_seq', 12344)")
            let long = try Self.next(connection)
            #expect(short != long)
            #expect(!long.hasSuffix(String(short.suffix(4))) || long.count > short.count)
            #expect(long.hasSuffix("-12345") && short.hasSuffix("-1234"))
        }
    }

    final class Collected: @unchecked Sendable {  // guarded by lock
        private let lock = NSLock()
        private var values: [String] = []
        func add(_ v: [String]) { lock.withLock { values += v } }
        var all: [String] { lock.withLock { values } }
    }
}
