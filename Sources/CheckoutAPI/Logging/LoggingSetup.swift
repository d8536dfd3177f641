import CheckoutResources
import Logging

extension AppConfig {
    /// The swift-log level named by `LOG_LEVEL` (validated by ``AppConfig/load(environment:dotEnv:)``).
    public var loggerLevel: Logger.Level { Logger.Level(rawValue: logLevel) ?? .info }

    /// Every secret this configuration holds, for ``LogSink/redact(_:)``.
    public var allSecrets: [Secret] {
        var all = [stripeSecretKey, databaseURL] + stripeWebhookSecrets
        if let adminToken { all.append(adminToken) }
        if let notifyWebhookURL { all.append(notifyWebhookURL) }
        return all + outbound.secrets
    }

    /// A logger writing through `sink` in this configuration's format and level, with every secret
    /// of the configuration registered for scrubbing.
    public func makeLogger(label: String, sink: LogSink = .standardError) -> Logger {
        sink.redact(allSecrets)
        return Logger(
            label: label, factory: StructuredLogHandler.factory(format: logFormat, level: loggerLevel, sink: sink))
    }

    /// The non-secret settings, for the start-up log line (secrets show only whether they are set).
    public var logSummary: Logger.Metadata {
        [
            "host": .string(host), "port": .stringConvertible(port), "db_pool_size": .stringConvertible(dbPoolSize),
            "stripe_api_base": .string(stripeAPIBase.absoluteString),
            "stripe_key_mode": .string(stripeSecretKey.reveal().contains("_live_") ? "live" : "test"),
            "webhook_secrets": .stringConvertible(stripeWebhookSecrets.count),
            "admin_enabled": .stringConvertible(adminToken != nil), "app_env": .string(appEnv.rawValue),
            "public_origin": .string(publicOrigin), "session_ttl": .stringConvertible(checkoutSessionTTL),
            "order_number_prefix": .string(orderNumberPrefix),
            "fulfillment_webhook": .stringConvertible(fulfillmentWebhookURL != nil),
            "notify_webhook": .stringConvertible(notifyWebhookURL != nil),
            "order_webhook": .stringConvertible(outbound.orderWebhookURL != nil),
            "smtp": .string(outbound.smtp?.description ?? "off"),
            "reconcile_interval": .stringConvertible(reconcileInterval),
            "version": .string(EmbeddedFiles.version), "commit": .string(EmbeddedFiles.commit),
            "resources": .string(
                migrationsDirectory == nil && openAPIPath == nil && webDirectory == nil ? "built-in" : "overridden"),
        ]
    }
}
