import Foundation

/// The domain's settings (from docs/API.md §1's environment; `checkoutd` reads them and builds this).
public struct CheckoutConfiguration: Sendable {
    /// The storefront origin; success and cancel URLs are built from it, never from the client.
    public var publicOrigin: String
    /// Seconds until a new Checkout Session expires (Stripe allows 1800–86400).
    public var sessionTTL: Int
    /// Order numbers are `PREFIX-YYYYMMDD-NNNN` (formatted in SQL by `next_order_number`).
    public var orderNumberPrefix: String
    /// Which outbound jobs transitions write (order webhooks; see `Messages/OrderOutbound.swift`).
    public var outbound = OutboundSettings()
    /// The by-session lookup asks Stripe about a pending order at most this often (seconds).
    public var sessionRefreshInterval: Int
    /// How long a client Idempotency-Key replays its first answer (seconds).
    public var idempotencyWindow: Int

    /// Defaults are docs/API.md §1's.
    public init(
        publicOrigin: String = "http://localhost:3000", sessionTTL: Int = 3600, orderNumberPrefix: String = "DO",
        sessionRefreshInterval: Int = 10, idempotencyWindow: Int = 86_400
    ) {
        self.publicOrigin = publicOrigin
        self.sessionTTL = sessionTTL
        self.orderNumberPrefix = orderNumberPrefix
        self.sessionRefreshInterval = sessionRefreshInterval
        self.idempotencyWindow = idempotencyWindow
    }

    /// Slack kept inside Stripe's `expires_at` window (30 min … 24 h from when Stripe *receives* the
    /// create): the value is computed once per attempt and the client's HTTP retries resend it up to
    /// ~40 s later, so a TTL of exactly 1800 would be refused (400) on a retry.
    public static let sessionExpirySlack: Int64 = 120

    /// `expires_at` of a session created at `now` (unix seconds): `now + sessionTTL`, clamped into
    /// `[now + 1800 + slack, now + 86400 - slack]` so it stays valid for every retry of the request.
    public func sessionExpiresAt(now: Int64) -> Int64 {
        let ttl = min(max(Int64(sessionTTL), 1800 + Self.sessionExpirySlack), 86_400 - Self.sessionExpirySlack)
        return now + ttl
    }

    /// `${PUBLIC_ORIGIN}/checkout/success?session_id={CHECKOUT_SESSION_ID}` (Stripe fills in the id).
    public var successURL: String {
        trimmedOrigin + "/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    }

    /// `${PUBLIC_ORIGIN}/checkout/cancel?order_id=<id>`.
    public func cancelURL(orderID: UUID) -> String {
        trimmedOrigin + "/checkout/cancel?order_id=" + orderID.uuidString.lowercased()
    }

    private var trimmedOrigin: String {
        publicOrigin.hasSuffix("/") ? String(publicOrigin.dropLast()) : publicOrigin
    }
}
