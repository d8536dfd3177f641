import Foundation

/// A strict reader of the Prometheus text exposition format (0.0.4), written for the tests so that
/// "`/metrics` parses" means something: every sample belongs to a family declared by one `# TYPE`
/// line before it, families are contiguous, names and label names are valid, label values use only
/// the format's escapes, no label repeats, no series repeats, values are numbers, counters are not
/// negative, and histograms have cumulative buckets with `le`, a `+Inf` bucket equal to `_count`, and
/// a `_sum`.
struct PrometheusExposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Invalid: Error, CustomStringConvertible {
        var line: Int
        var reason: String
        var description: String { "line \(line): \(reason)" }
    }

    var types: [String: String] = [:]
    var helps: [String: String] = [:]
    var samples: [Sample] = []

    /// The value of the series `name{labels}` (exact label set), or nil.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Samples of `name` (any labels).
    func series(_ name: String) -> [Sample] { samples.filter { $0.name == name } }

    static func parse(_ text: String) throws -> PrometheusExposition {
        var out = PrometheusExposition()
        guard text.hasSuffix("\n") else { throw Invalid(line: 0, reason: "does not end with a newline") }
        guard !text.contains("\r") else { throw Invalid(line: 0, reason: "carriage return") }
        var finished: Set<String> = []  // families whose samples are over
        var current: String?
        var seen: Set<String> = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let n = index + 1
            let line = String(raw)
            func fail(_ reason: String) -> Invalid { Invalid(line: n, reason: "\(reason): \(line)") }
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 3, parts[0] == "#", ["HELP", "TYPE"].contains(parts[1]) else { continue }
                let name = parts[2]
                guard isMetricName(name) else { throw fail("bad metric name") }
                if parts[1] == "TYPE" {
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3])
                    else { throw fail("bad TYPE") }
                    guard out.types[name] == nil else { throw fail("second TYPE for \(name)") }
                    guard !finished.contains(name), current != name || out.series(name).isEmpty else {
                        throw fail("TYPE after samples of \(name)")
                    }
                    out.types[name] = parts[3]
                } else {
                    guard out.helps[name] == nil else { throw fail("second HELP for \(name)") }
                    out.helps[name] = parts.count == 4 ? parts[3] : ""
                }
                continue
            }
            let sample = try parseSample(line, line: n)
            let family = try familyName(of: sample, types: out.types, line: n)
            if family != current {
                if let current { finished.insert(current) }
                guard !finished.contains(family) else { throw fail("family \(family) is not contiguous") }
                current = family
            }
            let key =
                sample.name + "{"
                + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: ",") + "}"
            guard seen.insert(key).inserted else { throw fail("repeated series") }
            if out.types[family] == "counter" || sample.name.hasSuffix("_bucket") || sample.name.hasSuffix("_count") {
                guard sample.value >= 0 || sample.value.isNaN else { throw fail("negative counter") }
            }
            out.samples.append(sample)
        }
        try out.checkHistograms()
        return out
    }

    static func isMetricName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == ":"
        }
    }

    static func isLabelName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, !("0"..."9").contains(first), !s.hasPrefix("__") else { return false }
        return s.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
        }
    }

    static func parseSample(_ line: String, line n: Int) throws -> Sample {
        let chars = Array(line)
        var i = 0
        func fail(_ reason: String) -> Invalid { Invalid(line: n, reason: "\(reason): \(line)") }
        while i < chars.count, chars[i] != "{", chars[i] != " " { i += 1 }
        let name = String(chars[0..<i])
        guard isMetricName(name) else { throw fail("bad metric name") }
        var labels: [String: String] = [:]
        if i < chars.count, chars[i] == "{" {
            i += 1
            while true {
                guard i < chars.count else { throw fail("unterminated labels") }
                if chars[i] == "}" {
                    i += 1
                    break
                }
                let start = i
                while i < chars.count, chars[i] != "=" { i += 1 }
                let label = String(chars[start..<i])
                guard isLabelName(label) else { throw fail("bad label name \(label)") }
                guard i + 1 < chars.count, chars[i + 1] == "\"" else { throw fail("label value not quoted") }
                i += 2
                var value = ""
                while true {
                    guard i < chars.count else { throw fail("unterminated label value") }
                    let c = chars[i]
                    if c == "\"" { break }
                    if c == "\\" {
                        guard i + 1 < chars.count else { throw fail("dangling escape") }
                        switch chars[i + 1] {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("bad escape")
                        }
                        i += 2
                        continue
                    }
                    value.append(c)
                    i += 1
                }
                i += 1
                guard labels.updateValue(value, forKey: label) == nil else { throw fail("repeated label \(label)") }
                if i < chars.count, chars[i] == "," { i += 1 }
            }
        }
        guard i < chars.count, chars[i] == " " else { throw fail("no space before the value") }
        let rest = String(chars[(i + 1)...]).split(separator: " ", omittingEmptySubsequences: false)
        guard (1...2).contains(rest.count) else { throw fail("bad value") }
        let valueText = String(rest[0])
        let value: Double
        switch valueText {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let v = Double(valueText), v.isFinite, valueText.allSatisfy({ "0123456789.eE+-".contains($0) })
            else { throw fail("bad value \(valueText)") }
            value = v
        }
        if rest.count == 2 { guard Int64(rest[1]) != nil else { throw fail("bad timestamp") } }
        return Sample(name: name, labels: labels, value: value)
    }

    static func familyName(of sample: Sample, types: [String: String], line: Int) throws -> String {
        if let type = types[sample.name], type != "histogram", type != "summary" { return sample.name }
        for suffix in ["_bucket", "_sum", "_count"] where sample.name.hasSuffix(suffix) {
            let base = String(sample.name.dropLast(suffix.count))
            if types[base] == "histogram" || (types[base] == "summary" && suffix != "_bucket") {
                if suffix == "_bucket", sample.labels["le"] == nil {
                    throw Invalid(line: line, reason: "bucket without le: \(sample.name)")
                }
                return base
            }
        }
        throw Invalid(line: line, reason: "sample \(sample.name) has no TYPE'd family before it")
    }

    func checkHistograms() throws {
        for (family, type) in types where type == "histogram" {
            var groups: [[String: String]: [(Double, Double)]] = [:]
            for s in series(family + "_bucket") {
                var rest = s.labels
                let le = rest.removeValue(forKey: "le")!
                guard let bound = le == "+Inf" ? Double.infinity : Double(le) else {
                    throw Invalid(line: 0, reason: "bad le \(le) in \(family)")
                }
                groups[rest, default: []].append((bound, s.value))
            }
            for (labels, buckets) in groups {
                let sorted = buckets.sorted { $0.0 < $1.0 }
                guard sorted.last?.0 == .infinity else {
                    throw Invalid(line: 0, reason: "\(family)\(labels): no +Inf bucket")
                }
                for (a, b) in zip(sorted, sorted.dropFirst()) where b.1 < a.1 {
                    throw Invalid(line: 0, reason: "\(family)\(labels): buckets not cumulative")
                }
                guard value(family + "_count", labels) == sorted.last?.1 else {
                    throw Invalid(line: 0, reason: "\(family)\(labels): +Inf bucket differs from _count")
                }
                guard value(family + "_sum", labels) != nil else {
                    throw Invalid(line: 0, reason: "\(family)\(labels): no _sum")
                }
            }
        }
    }
}
