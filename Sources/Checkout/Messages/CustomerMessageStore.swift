import Foundation
import Postgres

/// One row of `customer_messages`, as the mail job and the admin order read it.
public struct CustomerMessageRecord: Sendable, Equatable {
    public var id: Int64
    public var orderID: UUID
    public var kind: CustomerMessageKind
    public var key: String
    public var status: String
    public var attempts: Int
    public var smtpCode: Int?
    public var lastError: String?
    public var sentAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
}

/// The SQL of `customer_messages` (migration 012). A message is recorded once per (order, kind, key) with
/// its `mail` outbox job in the same statement; the job is keyed by the message id, so it is never
/// revived or duplicated, and a message that was sent stays sent (trigger).
public struct CustomerMessageStore: Sendable {
    public init() {}

    /// The outbox job kind.
    public static let jobKind = "mail"

    /// Records the message and its job unless the message exists already (then nothing happens).
    /// Returns true when it was new.
    @discardableResult
    public func record(_ db: Connection, orderID: UUID, kind: CustomerMessageKind, key: String) throws -> Bool {
        try db.query(
            """
            WITH message AS (
                INSERT INTO customer_messages (order_id, kind, key) VALUES ($1, $2, $3)
                ON CONFLICT (order_id, kind, key) DO NOTHING
                RETURNING id
            )
            INSERT INTO outbox_jobs (kind, order_id, payload, dedupe_key)
            SELECT 'mail', $1, jsonb_build_object('messageId', message.id::text, 'orderId', $4::text, 'kind', $2::text),
                   'mail:' || message.id
            FROM message
            RETURNING id
            """, [orderID, kind.rawValue, String(key.prefix(200)), orderID.lowercased]
        ).count == 1
    }

    static let columns = """
        id, order_id, kind, key, status, attempts, smtp_code, last_error, sent_at, created_at, updated_at
        """

    public func message(_ db: Connection, id: Int64) throws -> CustomerMessageRecord? {
        try db.query("SELECT \(Self.columns) FROM customer_messages WHERE id = $1", [id]).first.map(decode)
    }

    /// The order's messages, oldest first (admin order detail).
    public func messages(_ db: Connection, orderID: UUID) throws -> [CustomerMessageRecord] {
        try db.query(
            "SELECT \(Self.columns) FROM customer_messages WHERE order_id = $1 ORDER BY id", [orderID]
        ).map(decode)
    }

    /// Marks the message handed to SMTP and counts the attempt. False when it is no longer pending or
    /// sending (sent, failed or skipped meanwhile): then nothing is sent.
    public func beginSending(_ db: Connection, id: Int64) throws -> Bool {
        try db.execute(
            """
            UPDATE customer_messages SET status = 'sending', attempts = attempts + 1, updated_at = now()
            WHERE id = $1 AND status IN ('pending', 'sending')
            """, [id]) == 1
    }

    /// Records the outcome: `sent` (with the server's code), `pending` (will be retried), `failed` or
    /// `skipped`. A sent message is never changed again.
    public func finish(_ db: Connection, id: Int64, status: String, smtpCode: Int?, error: String?) throws {
        try db.execute(
            """
            UPDATE customer_messages
            SET status = $2, smtp_code = coalesce($3, smtp_code), last_error = $4,
                sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE NULL END, updated_at = now()
            WHERE id = $1 AND status <> 'sent'
            """, [id, status, smtpCode, error.map { String($0.prefix(1000)) }])
    }

    private func decode(_ row: Row) throws -> CustomerMessageRecord {
        let kind: String = try row.decode("kind")
        return CustomerMessageRecord(
            id: try row.decode("id"), orderID: try row.decode("order_id"),
            kind: CustomerMessageKind(rawValue: kind) ?? .orderPaid, key: try row.decode("key"),
            status: try row.decode("status"), attempts: try row.decode("attempts"),
            smtpCode: try row.decode("smtp_code"),
            lastError: try row.decode("last_error"), sentAt: try row.decode("sent_at"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }
}
