import Foundation
import Stripe

/// Everything the simulator remembers, guarded by one `Mutex` in `StripeSimulator`.
///
/// Kept as plain values so every operation is "lock, read/modify, unlock": no I/O happens while the lock
/// is held (webhook POSTs and fault hangs run outside it).
struct SimulatorState {
    /// A Checkout Session and what the simulator keeps beside the Stripe-shaped object.
    struct SessionRecord {
        var session: CheckoutSession
        var lineItems: [SessionCreateRequest.LineItem]
        var paymentIntentMetadata: [String: String]
        /// The `customer_email` parameter as given (`session.customerEmail` is what was collected).
        var requestedEmail: String?
        /// The line items with the ids Stripe gives them (`li_…`, inline `price_…` and `prod_…`).
        var storedLineItems: [StoredLineItem] = []
        /// Session fields set from parameters as given (`locale`, `submit_type`, …).
        var echoed: [String: Wire] = [:]
        /// The successful charge, once paid.
        var chargeID: String?
        /// Decline messages shown on the hosted page.
        var lastDecline: String?
        /// `subscription_data[metadata]` (subscription mode), copied onto the subscription.
        var subscriptionMetadata: [String: String] = [:]
    }

    /// A session's line item as `GET /v1/checkout/sessions/:id/line_items` lists it.
    struct StoredLineItem {
        var item: SessionCreateRequest.LineItem
        var id: String
        var priceID: String
        var productID: String
    }

    /// A refund of a charge (`re_…`).
    struct RefundRecord {
        var id: String
        var amount: Int64
        var chargeID: String
        var paymentIntentID: String?
        var currency: String?
        var created: Int64
        /// `pending`, `succeeded`, `failed`, `canceled`.
        var status: String = "succeeded"
        var reason: String?
        var failureReason: String?
        var metadata: [String: String] = [:]
    }

    /// A generated event: its JSON body is fixed at creation (re-deliveries send the same bytes, re-signed).
    struct EventRecord {
        var event: StripeEvent
        var body: [UInt8]
        var sequence: Int
        var attempts: [SimulatorDeliveryAttempt] = []
        /// Copies queued, held, in flight or awaiting a retry.
        var outstanding: Int = 0
        var succeededDeliveries: Int = 0
        var failedDeliveries: Int = 0
        /// Copies ever scheduled (numbering for `DeliveryAttempt.delivery`).
        var scheduledDeliveries: Int = 0
    }

    /// A delivery of one event copy, waiting in the queue or held.
    struct DeliveryJob {
        var eventID: String
        var delivery: Int
        var attempt: Int
        var due: ContinuousClock.Instant
        var firstAttemptAt: ContinuousClock.Instant?
        var order: Int
    }

    /// A stored idempotent answer: only successful ones are kept (Stripe does not save results of
    /// requests that failed validation).
    struct IdempotencyRecord {
        var createdAt: Int64
        var fingerprint: String
        var status: Int
        var body: [UInt8]
        var requestID: String
    }

    var sessions: [String: SessionRecord] = [:]
    var sessionOrder: [String] = []
    var paymentIntents: [String: PaymentIntent] = [:]
    var charges: [String: Charge] = [:]
    var refunds: [String: RefundRecord] = [:]
    /// Customers, subscriptions and invoices (subscription mode; `StripeSimulator+Billing.swift`).
    var billing = SimulatorBilling()
    var refundOrder: [String] = []
    /// New refunds stay `pending` until the control API settles them (`/_sim/refunds/pending`).
    var refundsStayPending = false
    var disputes: [String: Dispute] = [:]
    var fraudWarnings: [String: EarlyFraudWarning] = [:]
    var events: [String: EventRecord] = [:]
    var eventOrder: [String] = []
    var idempotency: [String: IdempotencyRecord] = [:]
    /// Prune idempotency records older than 24 h when the table reaches this size (then double it).
    var idempotencyPruneAt = 100_000
    var faults: [SimulatorFault] = []
    var requestLog: [SimulatorRequestLogEntry] = []
    var clockOffset: Int64 = 0
    /// The earliest `expires_at` among open sessions, so the per-call expiry sweep is O(1) until then.
    var earliestOpenExpiry: Int64?

    var webhookURL: URL?
    var webhookSecrets: [String] = []
    var queue: [DeliveryJob] = []
    var held: [DeliveryJob] = []
    var holding = false
    /// How long each new delivery waits before its first attempt (`/_sim/deliveries/delay`).
    var deliveryDelay: Duration = .zero
    var nextOrder = 0
    var inFlight = 0
    /// Bumped by reset so in-flight work from before a reset is dropped.
    var generation = 0
}
