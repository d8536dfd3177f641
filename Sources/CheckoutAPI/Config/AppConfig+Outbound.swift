import Checkout
import Foundation
import SMTP

/// What an order tells its customer and other systems (docs/API.md §1, §5a, §5b): customer e-mail through
/// SMTP and the signed order webhook.
public struct OutboundConfig: Sendable {
    /// `ORDER_WEBHOOK_URL`: where order events are POSTed; nil = no order webhook jobs are written.
    public var orderWebhookURL: URL?
    /// `ORDER_WEBHOOK_SECRET`: the HMAC key of `Checkout-Signature`; required with the URL, at least 16
    /// characters.
    public var orderWebhookSecret: Secret?
    /// `SMTP_URL` (+ `SMTP_STARTTLS`, `SMTP_CA_FILE`): where customer e-mail is submitted; nil = none is
    /// written. Its password is only ever handed to libcurl.
    public var smtp: SMTPServer?
    /// The whole `SMTP_URL`, for log scrubbing.
    var smtpURL: Secret?
    /// `MAIL_FROM`: the sender of customer e-mail (`Shop <shop@example.com>`); required with `SMTP_URL`.
    public var mailFrom: MailAddress?

    public init() {}

    /// Which outbound jobs the domain writes with this configuration.
    public var settings: OutboundSettings {
        OutboundSettings(customerMessages: smtp != nil, orderWebhooks: orderWebhookURL != nil)
    }

    /// The secrets in here, for log scrubbing.
    var secrets: [Secret] {
        [orderWebhookSecret, smtpURL, smtp?.password.map(Secret.init)].compactMap { $0 }
    }
}

extension Reader {
    /// `ORDER_WEBHOOK_URL`, `ORDER_WEBHOOK_SECRET`, `SMTP_URL`, `SMTP_STARTTLS`, `SMTP_CA_FILE`, `MAIL_FROM`.
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
        try readMail(&c)
    }

    func readMail(_ c: inout AppConfig) throws(ConfigError) {
        var startTLS = true
        if let value = raw("SMTP_STARTTLS") {
            switch value.lowercased() {
            case "true", "1", "yes", "on", "required": startTLS = true
            case "false", "0", "no", "off": startTLS = false
            default:
                throw ConfigError(
                    variable: "SMTP_STARTTLS", message: "SMTP_STARTTLS must be true or false (got \(quoted(value)))")
            }
        }
        let caFile = raw("SMTP_CA_FILE")
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ConfigError(
                variable: "SMTP_CA_FILE", message: "SMTP_CA_FILE is not a readable file (got \(quoted(caFile)))")
        }
        guard let text = raw("SMTP_URL") else {
            if raw("MAIL_FROM") != nil {
                c.warnings.append("MAIL_FROM is set but SMTP_URL is not: no customer e-mail is sent")
            }
            return
        }
        switch SMTPServer.parse(text, startTLS: startTLS, caFile: caFile, timeout: c.outboxHTTPTimeout) {
        case .success(let server):
            c.outbound.smtp = server
            c.outbound.smtpURL = Secret(text)
        case .failure(let error):
            throw ConfigError(
                variable: "SMTP_URL",
                message: "SMTP_URL \(error) (e.g. smtp://user:password@mail.example:587; value not shown)")
        }
        guard let from = raw("MAIL_FROM") else {
            throw ConfigError(
                variable: "MAIL_FROM", message: "MAIL_FROM is required with SMTP_URL (e.g. Shop <shop@example.com>)")
        }
        guard let address = MailAddress.parse(from) else {
            throw ConfigError(
                variable: "MAIL_FROM", message: "MAIL_FROM must be an address or Name <address> (got \(quoted(from)))")
        }
        c.outbound.mailFrom = address
    }
}
