import Foundation

/// Times in JSON: ISO 8601, UTC, with milliseconds (`2026-11-21T20:01:02.123Z`).
enum ISO8601 {
    static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    static func string(_ date: Date) -> String { date.formatted(style) }
}
