import Foundation

/// Pure text <-> `Date` conversion for timestamptz, with microsecond precision (Postgres' resolution).
///
/// Hand-rolled civil-date arithmetic (H. Hinnant's days-from-civil) instead of `DateFormatter`: exact,
/// allocation-light, thread-safe, and independent of the process locale and time zone.
enum PostgresTimestamp {
    /// `2026-11-21T19:52:03.123456+00`, rounded to the microsecond, always UTC. Years before 1 AD use ` BC`.
    static func format(_ date: Date) -> String {
        // From Date's own reference (2001), which keeps the most precision for present-day dates.
        let sinceReference = Int64(exactly: (date.timeIntervalSinceReferenceDate * 1_000_000).rounded()) ?? 0
        let micros = sinceReference + referenceDateMicros
        let (days, microOfDay) = floorDivide(micros, 86_400_000_000)
        let (year, month, day) = civil(fromDays: days)
        let seconds = microOfDay / 1_000_000
        let fraction = microOfDay % 1_000_000
        let bc = year <= 0
        let shownYear = bc ? 1 - year : year
        return pad(shownYear, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(seconds / 3600, 2) + ":"
            + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2) + "." + pad(fraction, 6) + "+00"
            + (bc ? " BC" : "")
    }

    /// Parses `YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}][±HH[:MM[:SS]]][ BC]` (no offset = UTC), or `±infinity`.
    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// `parse` over the text's UTF-8 bytes (no copies: it runs for every timestamp column of every row).
    private static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        var end = bytes.count
        if bytes.elementsEqual("infinity".utf8) { return .distantFuture }
        if bytes.elementsEqual("-infinity".utf8) { return .distantPast }
        var bc = false
        if end >= 3, bytes[end - 3] == UInt8(ascii: " "), bytes[end - 2] == UInt8(ascii: "B"),
            bytes[end - 1] == UInt8(ascii: "C")
        {
            bc = true
            end -= 3
        }
        var p = 0
        func number(_ minDigits: Int, _ maxDigits: Int) -> Int64? {
            var value: Int64 = 0
            var n = 0
            while n < maxDigits, p < end, bytes[p] >= 48, bytes[p] <= 57 {
                value = value * 10 + Int64(bytes[p] - 48)
                p += 1
                n += 1
            }
            return n >= minDigits ? value : nil
        }
        func take(_ c: UInt8) -> Bool {
            guard p < end, bytes[p] == c else { return false }
            p += 1
            return true
        }
        guard var year = number(4, 9), take(UInt8(ascii: "-")), let month = number(2, 2), (1...12).contains(month),
            take(UInt8(ascii: "-")), let day = number(2, 2), (1...31).contains(day),
            take(UInt8(ascii: " ")) || take(UInt8(ascii: "T")),
            let hour = number(2, 2), hour <= 24, take(UInt8(ascii: ":")), let minute = number(2, 2), minute < 60,
            take(UInt8(ascii: ":")), let second = number(2, 2), second < 61
        else { return nil }
        var micros: Int64 = 0
        if take(UInt8(ascii: ".")) {
            let start = p
            guard let digits = number(1, 6) else { return nil }
            micros = digits
            for _ in 0..<(6 - (p - start)) { micros *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if p < end, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") {
            let sign = bytes[p]
            p += 1
            guard let oh = number(2, 2) else { return nil }
            var offset = oh * 3600
            if take(UInt8(ascii: ":")) {
                guard let om = number(2, 2) else { return nil }
                offset += om * 60
                if take(UInt8(ascii: ":")) {
                    guard let os = number(2, 2) else { return nil }
                    offset += os
                }
            }
            offsetSeconds = sign == UInt8(ascii: "-") ? -offset : offset
        }
        guard p == end else { return nil }
        if bc { year = 1 - year }
        let days = days(fromCivil: year, month, day)
        let secondsOfDay = hour * 3600 + minute * 60 + second
        let total = (days * 86_400 + secondsOfDay - offsetSeconds) * 1_000_000 + micros
        return Date(timeIntervalSinceReferenceDate: Double(total - referenceDateMicros) / 1_000_000)
    }

    /// 2001-01-01 (Foundation's reference date) in microseconds since 1970.
    private static let referenceDateMicros: Int64 = 978_307_200_000_000

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    /// Days since 1970-01-01 -> proleptic Gregorian (year, month, day).
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Proleptic Gregorian (year, month, day) -> days since 1970-01-01.
    static func days(fromCivil year0: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let year = month <= 2 ? year0 - 1 : year0
        let era = (year >= 0 ? year : year - 399) / 400
        let yoe = year - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
