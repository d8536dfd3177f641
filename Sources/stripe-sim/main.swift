import ArgumentParser
import Dispatch
import Foundation
import StripeSimulator

#if canImport(Glibc)
    import Glibc
#endif

/// `stripe-sim`: the offline Stripe stand-in (see Sources/StripeSimulator/README.md).
struct StripeSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stripe-sim",
        abstract: "An offline, stateful Stripe simulator: Checkout Sessions, a hosted payment page, signed webhooks.",
        discussion: """
            Point the service at it with STRIPE_API_BASE=<printed URL> and any key starting sk_test_.
            The first line on stdout is `stripe-sim listening on http://HOST:PORT`.

            Stripe API (form-encoded, `Authorization: Bearer sk_…|rk_…`, `Idempotency-Key` replay; objects in the
            full shape of API version 2026-08-26.dahlia; Stripe's currency, minimum/maximum, expires_at and metadata
            rules with Stripe's error codes):
              POST /v1/checkout/sessions            GET /v1/checkout/sessions/:id
              GET  /v1/checkout/sessions/:id/line_items  (limit, starting_after, ending_before)
              POST /v1/checkout/sessions/:id/expire
              GET  /v1/payment_intents/:id   GET /v1/charges/:id   GET /v1/events/:id
              GET  /v1/refunds/:id           GET /v1/refunds?charge=|payment_intent=
            Hosted page (session.url): GET /pay/:id with Pay / Decline card / Cancel buttons.

            Control API (JSON, no auth; every action answers {"session": …, "events": [ids]}):
              POST /_sim/sessions/:id/pay {"email"?, "name"?, "promotionCode"?, "shippingRate"?, "shipping"?, "promotionsConsent"?}
                                                                       → checkout.session.completed (paid)
              POST /_sim/sessions/:id/complete-unpaid          {"email"?}      → completed with payment_status unpaid
              POST /_sim/sessions/:id/async-payment-succeeded | async-payment-failed
              POST /_sim/sessions/:id/decline {"message"?, "declineCode"?} → payment_intent.payment_failed + charge.failed
              POST /_sim/sessions/:id/expire                                   → checkout.session.expired
              POST /_sim/sessions/:id/refund  {"amount"?}                      → a refund; charge.refunded (cumulative)
              GET  /_sim/sessions[/:id]   GET /_sim/events[?type=]   GET /_sim/events/:id (exact JSON body)
              POST /_sim/events/:id/resend {"times"?}
              POST /_sim/events/deliver {"ids": [...], "order": "given|reversed|shuffled", "times"?, "parallel"?}
              POST /_sim/deliveries/hold     POST /_sim/deliveries/release {"order"?, "times"?}
              POST /_sim/deliveries/delay {"ms": N}   (each new delivery's first attempt waits N ms)
              GET  /_sim/deliveries/wait?timeout=10   (200 when no delivery is pending, else 408)
              POST /_sim/faults {"status": 500|429|…, "shouldRetry"?, "retryAfter"?, "count": N}
              POST /_sim/faults {"hangSeconds": T, "count": N}      DELETE /_sim/faults
              GET  /_sim/requests   POST /_sim/clock/advance {"seconds": N}  (sessions past expires_at expire)
              PUT  /_sim/webhook {"url", "secrets": [...]}   POST /_sim/reset   GET /_sim/health
              POST /_sim/promotion-codes {"code", "percentOff" | "amountOff"}   PUT /_sim/tax-rate {"percent"}
              POST /_sim/sessions/:id/consent {"promotions": "opt_in|opt_out"}
              POST /_sim/sessions/:id/recover   (an expired session's recovery link → a new session, recovered_from)
            Recovery link (after_expiration.recovery.url): GET /recover/:token → 303 to the new session's page.

            Example:
              stripe-sim --port 12111 --webhook-url http://127.0.0.1:8080/api/payments/webhook --webhook-secret whsec_dev
            """)

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free one (printed on the first line).")
    var port = 12111

    @Option(help: "Base URL for hosted page links in session.url (default: http://HOST:PORT).")
    var publicURL: String?

    @Option(help: "Where to POST webhook events (none: events are only recorded).")
    var webhookURL: String?

    @Option(
        help:
            "Webhook signing secret(s), comma-separated (one v1 signature per secret). Default: $STRIPE_WEBHOOK_SECRET."
    )
    var webhookSecret: String?

    @Option(help: "Delivery attempts per event, including the first.")
    var deliveryMaxAttempts = 8

    @Option(help: "Wait before the first delivery retry, in milliseconds (doubles each retry).")
    var deliveryInitialBackoffMs = 1000

    @Option(help: "Longest wait between delivery retries, in milliseconds.")
    var deliveryMaxBackoffMs = 60_000

    @Option(help: "No delivery retry starts later than this many seconds after the first attempt.")
    var deliveryMaxTotalSeconds = 600

    @Option(help: "Per-attempt delivery timeout, in milliseconds.")
    var deliveryTimeoutMs = 10_000

    @Option(
        help:
            "A promotion code customers may enter where a session allows them: CODE=10% (percent off) or CODE=500 (amount off, minor units). Repeatable."
    )
    var promotionCode: [String] = []

    @Option(help: "Tax rate in percent for sessions with automatic tax (e.g. 8.25).")
    var taxRate: Double = 0

    @Flag(help: "Do not log API calls, events and deliveries to stderr.")
    var quiet = false

    /// The `--quiet`-less log sink: one line per API call, event and delivery attempt.
    static let logToStandardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data("stripe-sim: \(line)\n".utf8))
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        if let webhookURL {
            guard let u = URL(string: webhookURL), u.scheme == "http" || u.scheme == "https", u.host != nil else {
                throw ValidationError("--webhook-url must be an http(s) URL")
            }
        }
        guard deliveryMaxAttempts >= 1 else { throw ValidationError("--delivery-max-attempts must be ≥ 1") }
        for code in promotionCode where SimulatorPromotionCode.parse(code) == nil {
            throw ValidationError("--promotion-code must be CODE=10% or CODE=500 (got \(code))")
        }
        guard (0...100).contains(taxRate) else { throw ValidationError("--tax-rate must be 0…100 percent") }
    }

    func run() throws {
        let secretList = (webhookSecret ?? ProcessInfo.processInfo.environment["STRIPE_WEBHOOK_SECRET"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let configuration = StripeSimulator.Configuration(
            host: host, port: port, publicURL: publicURL, webhookURL: webhookURL.flatMap(URL.init(string:)),
            webhookSecrets: secretList,
            delivery: .init(
                maxAttempts: deliveryMaxAttempts, initialBackoff: .milliseconds(deliveryInitialBackoffMs),
                maxBackoff: .milliseconds(deliveryMaxBackoffMs), maxTotal: .seconds(deliveryMaxTotalSeconds),
                timeout: .milliseconds(deliveryTimeoutMs)),
            log: quiet ? nil : Self.logToStandardError)
        let simulator = StripeSimulator(configuration: configuration)
        for text in promotionCode {
            if let code = SimulatorPromotionCode.parse(text) { try simulator.definePromotionCode(code) }
        }
        try simulator.setTaxRate(basisPoints: Int((taxRate * 100).rounded()))
        try simulator.start()

        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let signalQueue = DispatchQueue(label: "stripe-sim.signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: signalQueue)
            source.setEventHandler {
                FileHandle.standardError.write(Data("stripe-sim: shutting down\n".utf8))
                simulator.shutdown()
            }
            source.resume()
            sources.append(source)
        }

        print("stripe-sim listening on \(simulator.baseURL)")
        if let webhookURL {
            print("stripe-sim delivering webhooks to \(webhookURL) (\(secretList.count) signing secret(s))")
        } else {
            print("stripe-sim: no --webhook-url, events are recorded only (GET /_sim/events)")
        }
        fflush(nil)  // all streams: the first line must reach a pipe at once
        simulator.waitUntilStopped()
        withExtendedLifetime(sources) {}
    }
}

StripeSim.main()
