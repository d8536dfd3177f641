import Checkout
import Foundation
import Logging
import Postgres
import Stripe

/// The domain objects the routes call, built once per process from the configuration.
public struct AppServices: Sendable {
    /// Checkout, lookups, retries, admin commands, catalog.
    public var checkout: CheckoutService
    /// Webhook verification + exactly-once application.
    public var webhooks: WebhookProcessor

    /// Wires the domain to `pool`, to Stripe at `STRIPE_API_BASE` and to the webhook secrets.
    /// `stripe` replaces the default client (tests use one with millisecond backoff).
    public init(config: AppConfig, pool: ConnectionPool, logger: Logger, stripe: StripeClient? = nil) {
        let stripe =
            stripe
            ?? StripeClient(
                secretKey: config.stripeSecretKey.reveal(), apiBase: config.stripeAPIBase,
                timeout: .seconds(config.stripeTimeout), maxRetries: config.stripeMaxRetries)
        var domainConfig = CheckoutConfiguration(
            publicOrigin: config.publicOrigin, sessionTTL: config.checkoutSessionTTL,
            orderNumberPrefix: config.orderNumberPrefix)
        domainConfig.outbound = config.outbound.settings
        self.checkout = CheckoutService(pool: pool, gateway: stripe, configuration: domainConfig, logger: logger)
        let verifier = WebhookVerifier(
            secrets: config.stripeWebhookSecrets.map { $0.reveal() }, tolerance: config.stripeWebhookTolerance)
        self.webhooks = WebhookProcessor(
            pool: pool, verifier: verifier, logger: logger,
            livemode: WebhookProcessor.expectedLivemode(secretKey: config.stripeSecretKey.reveal()),
            outbound: config.outbound.settings)
    }

    /// Uses already-built domain objects (tests that need a special gateway or clock).
    public init(checkout: CheckoutService, webhooks: WebhookProcessor) {
        self.checkout = checkout
        self.webhooks = webhooks
    }
}
