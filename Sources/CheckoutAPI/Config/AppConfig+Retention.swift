extension Reader {
    /// `RETENTION_INTERVAL` and the three retention periods.
    func readRetention(_ c: inout AppConfig) throws(ConfigError) {
        let interval = try int("RETENTION_INTERVAL", default: c.retentionInterval, in: 0...86400, unit: "seconds")
        guard interval == 0 || interval >= 60 else {
            throw ConfigError(
                variable: "RETENTION_INTERVAL",
                message: "RETENTION_INTERVAL must be 0 (off) or 60–86400 seconds (got \(interval))")
        }
        c.retentionInterval = interval
        c.outboxRetention = try retention("OUTBOX_RETENTION", default: c.outboxRetention)
        c.eventPayloadRetention = try retention("EVENT_PAYLOAD_RETENTION", default: c.eventPayloadRetention)
        c.unpaidOrderRetention = try retention("UNPAID_ORDER_RETENTION", default: c.unpaidOrderRetention)
    }

    /// A retention period: 0 (never), or 1 hour – 3650 days, as seconds or with a unit (`90d`, `12h`, `30m`).
    func retention(_ name: String, default def: Int) throws(ConfigError) -> Int {
        guard let text = raw(name) else { return def }
        guard let seconds = Self.duration(text), seconds == 0 || (3600...3650 * 86_400).contains(seconds) else {
            throw ConfigError(
                variable: name,
                message: "\(name) must be 0 (never) or 1h–3650d, in seconds or with s/m/h/d (got \"\(text)\")")
        }
        return seconds
    }

    /// `"604800"`, `"7d"`, `"12h"`, `"30m"`, `"45s"` → seconds; nil when malformed or too large.
    static func duration(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text)
        var unit = 1
        if let last = text.last, let u = units[Character(last.lowercased())] {
            unit = u
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let n = Int(digits)
        else { return nil }
        return n * unit
    }
}
