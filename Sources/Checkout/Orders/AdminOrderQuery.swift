import Foundation

/// Filters and page position of `GET /api/admin/orders` (docs/API.md §3). Newest first.
public struct AdminOrderQuery: Sendable, Equatable {
    public var status: OrderStatus?
    public var paymentStatus: PaymentStatus?
    public var fulfillmentStatus: FulfillmentStatus?
    /// true: only orders needing attention; false: only those that do not; nil: all.
    public var needsAttention: Bool?
    /// Matches an order number or email (substring, case-insensitive), or a session / payment intent
    /// id (exact).
    public var q: String?
    /// 1–200; default 50.
    public var limit: Int
    /// The `nextCursor` of the previous page.
    public var cursor: String?
    /// Orders with a refund in this status (`pending`, `requires_action`, `succeeded`, `failed`,
    /// `canceled`), or `none`: no refund at all.
    public var refundStatus: String?
    /// Orders with a dispute in this status (Stripe's dispute statuses), or `none`: never disputed.
    public var disputeStatus: String?

    public init(
        status: OrderStatus? = nil, paymentStatus: PaymentStatus? = nil, fulfillmentStatus: FulfillmentStatus? = nil,
        needsAttention: Bool? = nil, q: String? = nil, limit: Int = 50, cursor: String? = nil
    ) {
        self.status = status
        self.paymentStatus = paymentStatus
        self.fulfillmentStatus = fulfillmentStatus
        self.needsAttention = needsAttention
        self.q = q
        self.limit = limit
        self.cursor = cursor
    }

    /// Builds a query from URL query parameters, rejecting bad values with `validation_error`
    /// naming the parameter.
    public static func parse(_ parameters: [String: String]) throws(CheckoutError) -> AdminOrderQuery {
        var query = AdminOrderQuery()
        func value(_ name: String) -> String? {
            guard let raw = parameters[name], !raw.isEmpty else { return nil }
            return raw
        }
        if let raw = value("status") {
            guard let status = OrderStatus(rawValue: raw) else {
                throw .validation(field: "status", message: "unknown status")
            }
            query.status = status
        }
        if let raw = value("paymentStatus") {
            guard let status = PaymentStatus(rawValue: raw) else {
                throw .validation(field: "paymentStatus", message: "unknown payment status")
            }
            query.paymentStatus = status
        }
        if let raw = value("fulfillmentStatus") {
            guard let status = FulfillmentStatus(rawValue: raw) else {
                throw .validation(field: "fulfillmentStatus", message: "unknown fulfillment status")
            }
            query.fulfillmentStatus = status
        }
        if let raw = value("needsAttention") {
            guard raw == "true" || raw == "false" else {
                throw .validation(field: "needsAttention", message: "must be true or false")
            }
            query.needsAttention = raw == "true"
        }
        if let raw = value("q") {
            guard raw.unicodeScalars.count <= 254, !CreateCheckoutRequest.hasControlCharacters(raw) else {
                throw .validation(field: "q", message: "must be at most 254 Unicode scalars without control characters")
            }
            query.q = raw
        }
        if let raw = value("refundStatus") {
            guard raw == "none" || RefundStatus(rawValue: raw) != nil else {
                throw .validation(field: "refundStatus", message: "unknown refund status")
            }
            query.refundStatus = raw
        }
        if let raw = value("disputeStatus") {
            guard raw == "none" || DisputeEntry.statuses.contains(raw) else {
                throw .validation(field: "disputeStatus", message: "unknown dispute status")
            }
            query.disputeStatus = raw
        }
        if let raw = value("limit") {
            guard let limit = Int(raw), (1...200).contains(limit) else {
                throw .validation(field: "limit", message: "must be an integer between 1 and 200")
            }
            query.limit = limit
        }
        if let raw = value("cursor") {
            guard AdminOrderCursor(raw) != nil else { throw .validation(field: "cursor", message: "is not valid") }
            query.cursor = raw
        }
        return query
    }
}

/// One page of admin orders: `{"orders": [...], "nextCursor": "…" | null}`.
public struct AdminOrderPage: Sendable, Equatable, Encodable {
    public var orders: [AdminOrder]
    /// nil on the last page.
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey { case orders, nextCursor }

    /// Encodes docs/API.md's JSON shape (absent values as explicit `null`).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(orders, forKey: .orders)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}

/// The keyset position (created_at in microseconds, id) of the last order of a page, as opaque
/// base64url text.
struct AdminOrderCursor: Equatable {
    var createdMicros: Int64
    var id: UUID

    init(createdMicros: Int64, id: UUID) {
        self.createdMicros = createdMicros
        self.id = id
    }

    init?(_ text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard text.utf8.count <= 200, let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: "|")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
            return nil
        }
        // A position Postgres can compare with created_at: 1970 … 9999-12-31 (a crafted cursor beyond
        // Postgres' timestamp range was a 500).
        guard (0...Self.maxMicros).contains(micros) else { return nil }
        self.createdMicros = micros
        self.id = id
    }

    /// 9999-12-31T23:59:59.999999Z in microseconds since 1970.
    static let maxMicros: Int64 = 253_402_300_799_999_999

    var text: String {
        Data("\(createdMicros)|\(id.lowercased)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
