import Checkout
import Foundation

/// What an order tells other systems (docs/API.md §1 and §5a): the signed order webhook.
public struct OutboundConfig: Sendable {
    /// `ORDER_WEBHOOK_URL`: where order events are POSTed; nil = no order webhook jobs are written.
    public var orderWebhookURL: URL?
    /// `ORDER_WEBHOOK_SECRET`: the HMAC key of `Checkout-Signature`; required with the URL, at least 16
    /// characters.
    public var orderWebhookSecret: Secret?

    public init() {}

    /// Which outbound jobs the domain writes with this configuration.
    public var settings: OutboundSettings {
        OutboundSettings(orderWebhooks: orderWebhookURL != nil)
    }
}

extension Reader {
    /// `ORDER_WEBHOOK_URL` and `ORDER_WEBHOOK_SECRET`.
    func readOutbound(_ c: inout AppConfig) throws(ConfigError) {
        let url = try httpURL("ORDER_WEBHOOK_URL", secret: true)
        let secret = raw("ORDER_WEBHOOK_SECRET")
        if let url {
            guard let secret else {
                throw ConfigError(
                    variable: "ORDER_WEBHOOK_SECRET",
                    message: "ORDER_WEBHOOK_SECRET is required with ORDER_WEBHOOK_URL (the events are signed with it)")
            }
            guard secret.count >= 16 else {
                throw ConfigError(
                    variable: "ORDER_WEBHOOK_SECRET",
                    message: "ORDER_WEBHOOK_SECRET must be at least 16 characters (value not shown)")
            }
            if c.appEnv == .production, url.scheme?.lowercased() != "https" {
                throw ConfigError(
                    variable: "ORDER_WEBHOOK_URL",
                    message:
                        "ORDER_WEBHOOK_URL must be https:// when APP_ENV=production (the events carry customer data)")
            }
            c.outbound.orderWebhookURL = url
            c.outbound.orderWebhookSecret = Secret(secret)
        } else if secret != nil {
            c.warnings.append("ORDER_WEBHOOK_SECRET is set but ORDER_WEBHOOK_URL is not: no order webhooks are sent")
        }
    }
}
