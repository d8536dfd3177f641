#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import HTTPServer
import Logging

/// A swift-log handler that writes one line per event: a JSON object (`LOG_FORMAT=json`, the default,
/// for log pipelines) or `ts LEVEL logger: msg key=value …` (`LOG_FORMAT=text`, for people).
///
/// JSON lines have `ts` (ISO 8601 UTC, milliseconds), `level`, `msg`, `logger`, then the metadata
/// flattened: nested dictionaries become dotted keys (`order.id`), arrays stay arrays, and numbers or
/// booleans passed as `.stringConvertible` stay JSON numbers/booleans. A metadata key that would shadow
/// one of the four fixed keys is written as `meta.<key>`. Lines written while a request is being handled
/// get its `request_id` (``RequestContext``), including lines from code that knows nothing of HTTP.
///
/// The handler never decides what is secret: callers must not log secrets, card data or webhook bodies;
/// the ``LogSink`` additionally scrubs registered secret values.
public struct StructuredLogHandler: LogHandler {
    /// The logger's label (`logger` field).
    public let label: String
    /// Output format.
    public let format: AppConfig.LogFormat
    /// Where lines go.
    public let sink: LogSink
    /// Minimum level written.
    public var logLevel: Logger.Level
    /// Metadata attached to every line of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Contextual metadata provider, merged under explicit metadata.
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler for `label`.
    public init(label: String, format: AppConfig.LogFormat, level: Logger.Level, sink: LogSink) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.sink = sink
    }

    /// A `Logger` factory, e.g. `Logger(label: "checkoutd", factory: StructuredLogHandler.factory(...))`.
    public static func factory(format: AppConfig.LogFormat, level: Logger.Level, sink: LogSink)
        -> @Sendable (String) -> any LogHandler
    {
        { label in StructuredLogHandler(label: label, format: format, level: level, sink: sink) }
    }

    /// Reads or writes one metadata value of this handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats and writes one event.
    public func log(event: LogEvent) {
        var merged: Logger.Metadata
        if metadataProvider == nil && metadata.isEmpty {
            merged = event.metadata ?? [:]  // the access log's case: no dictionary to build
        } else {
            merged = metadataProvider?.get() ?? [:]
            merged.merge(metadata) { _, new in new }
            if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        }
        if merged["request_id"] == nil, let requestID = RequestContext.requestID {
            merged["request_id"] = .string(requestID)
        }
        var fields: [(String, Logger.Metadata.Value)] = []
        Self.flatten(merged, prefix: "", into: &fields)
        fields.sort { $0.0 < $1.0 }
        let ts = Self.timestamp()
        switch format {
        case .json:
            var out = ""
            out.reserveCapacity(256)
            out += "{\"ts\":\""
            out += ts
            out += "\",\"level\":\""
            out += event.level.rawValue
            out += "\",\"msg\":"
            JSONText.appendString(event.message.description, to: &out)
            out += ",\"logger\":"
            JSONText.appendString(label, to: &out)
            for (key, value) in fields {
                out += ","
                switch key {
                case "ts", "level", "msg", "logger": JSONText.appendString("meta." + key, to: &out)
                default: JSONText.appendString(key, to: &out)
                }
                out += ":"
                Self.appendJSON(value, to: &out)
            }
            out += "}"
            sink.write(out)
        case .text:
            var out = "\(ts) \(event.level.rawValue.uppercased()) \(label): \(event.message.description)"
            for (key, value) in fields {
                out += " \(key)=\(Self.textValue(value))"
            }
            sink.write(out)
        }
    }

    static func flatten(
        _ metadata: Logger.Metadata, prefix: String, into fields: inout [(String, Logger.Metadata.Value)]
    ) {
        for (key, value) in metadata {
            let name = prefix.isEmpty ? key : "\(prefix).\(key)"
            if case .dictionary(let nested) = value {
                flatten(nested, prefix: name, into: &fields)
            } else {
                fields.append((name, value))
            }
        }
    }

    static func appendJSON(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let s):
            JSONText.appendString(s, to: &out)
        case .stringConvertible(let c):
            switch c {
            case let b as Bool: out += b ? "true" : "false"
            case let i as Int: out += String(i)
            case let i as Int64: out += String(i)
            case let i as Int32: out += String(i)
            case let u as UInt64: out += String(u)
            case let d as Double where d.isFinite: out += String(d)
            default: JSONText.appendString(c.description, to: &out)
            }
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                appendJSON(item, to: &out)
            }
            out += "]"
        case .dictionary(let dict):
            out += "{"
            for (i, key) in dict.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSONText.appendString(key, to: &out)
                out += ":"
                appendJSON(dict[key]!, to: &out)
            }
            out += "}"
        }
    }

    static func textValue(_ value: Logger.Metadata.Value) -> String {
        let s: String
        switch value {
        case .string(let v): s = v
        case .stringConvertible(let c): s = c.description
        case .array, .dictionary:
            var json = ""
            appendJSON(value, to: &json)
            return json
        }
        if s.isEmpty || s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) {
            var quoted = ""
            JSONText.appendString(s, to: &quoted)
            return quoted
        }
        return s
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var tm = tm()
        var seconds = ts.tv_sec
        gmtime_r(&seconds, &tm)
        // Fixed-width digits into 24 bytes: no intermediate strings (this runs for every log line).
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int32, _ width: Int, at offset: Int) {
            var v = max(0, value)
            for i in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
        }
        put(tm.tm_year + 1900, 4, at: 0)
        bytes[4] = UInt8(ascii: "-")
        put(tm.tm_mon + 1, 2, at: 5)
        bytes[7] = UInt8(ascii: "-")
        put(tm.tm_mday, 2, at: 8)
        bytes[10] = UInt8(ascii: "T")
        put(tm.tm_hour, 2, at: 11)
        bytes[13] = UInt8(ascii: ":")
        put(tm.tm_min, 2, at: 14)
        bytes[16] = UInt8(ascii: ":")
        put(tm.tm_sec, 2, at: 17)
        bytes[19] = UInt8(ascii: ".")
        put(Int32(ts.tv_nsec / 1_000_000), 3, at: 20)
        bytes[23] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }
}
