import Foundation
import Postgres

extension AdminOrder {
    /// One customer e-mail of the order (`customer_messages`).
    public struct CustomerMessageEntry: Sendable, Equatable, Encodable {
        public var kind: String
        /// '' for the once-per-order kinds; the refunded total of a refund message.
        public var key: String
        /// `pending`, `sending`, `sent`, `failed` or `skipped`.
        public var status: String
        public var attempts: Int
        public var smtpCode: Int?
        /// Why it failed, is being retried, or was skipped.
        public var lastError: String?
        public var sentAt: String?
        public var createdAt: String
        public var updatedAt: String

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(kind, forKey: .kind)
            try c.encode(key, forKey: .key)
            try c.encode(status, forKey: .status)
            try c.encode(attempts, forKey: .attempts)
            try c.encode(smtpCode, forKey: .smtpCode)
            try c.encode(lastError, forKey: .lastError)
            try c.encode(sentAt, forKey: .sentAt)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(updatedAt, forKey: .updatedAt)
        }

        enum CodingKeys: String, CodingKey {
            case kind, key, status, attempts, smtpCode, lastError, sentAt, createdAt, updatedAt
        }
    }

    /// One order webhook event of the order, while its outbox job is kept (`OUTBOX_RETENTION` for delivered ones).
    public struct OrderWebhookEntry: Sendable, Equatable, Encodable {
        public var eventId: String
        public var type: String
        /// The outbox job's status: `pending` (waiting or retrying), `running`, `done` (delivered), `failed`.
        public var status: String
        public var attempts: Int
        public var lastError: String?
        public var createdAt: String
        public var updatedAt: String

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(eventId, forKey: .eventId)
            try c.encode(type, forKey: .type)
            try c.encode(status, forKey: .status)
            try c.encode(attempts, forKey: .attempts)
            try c.encode(lastError, forKey: .lastError)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(updatedAt, forKey: .updatedAt)
        }

        enum CodingKeys: String, CodingKey {
            case eventId, type, status, attempts, lastError, createdAt, updatedAt
        }
    }

    /// Fills ``customerMessages`` and ``orderWebhooks`` (the detail view).
    mutating func loadOutbound(_ db: Connection, orderID: UUID) throws {
        customerMessages = try CustomerMessageStore().messages(db, orderID: orderID).map {
            CustomerMessageEntry(
                kind: $0.kind.rawValue, key: $0.key, status: $0.status, attempts: $0.attempts, smtpCode: $0.smtpCode,
                lastError: $0.lastError, sentAt: $0.sentAt.map(ISO8601.string), createdAt: ISO8601.string($0.createdAt),
                updatedAt: ISO8601.string($0.updatedAt))
        }
        orderWebhooks = try db.query(
            """
            SELECT payload->>'eventId' AS event_id, payload->>'type' AS type, status, attempts, last_error,
                   created_at, updated_at
            FROM outbox_jobs WHERE order_id = $1 AND kind = 'order_webhook' ORDER BY id
            """, [orderID]
        ).map { row in
            OrderWebhookEntry(
                eventId: try row.decode("event_id"), type: try row.decode("type"), status: try row.decode("status"),
                attempts: try row.decode("attempts"), lastError: try row.decode("last_error"),
                createdAt: ISO8601.string(try row.decode("created_at")),
                updatedAt: ISO8601.string(try row.decode("updated_at")))
        }
    }
}
