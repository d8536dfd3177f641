import Checkout
import HTTPServer

/// The storefront's order JSON written straight into the response body: it is the body of the hottest
/// read (`GET /api/orders/by-session/:id`). Same bytes as `PublicOrder`'s `Encodable` conformance (keys in
/// the same order, explicit `null`s); `PublicOrderJSONTests` compares the two over a table of orders and
/// checks that every stored property is written.
extension PublicOrder: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.object { json in
            json.key("id")
            json.string(id)
            json.key("orderNumber")
            json.string(orderNumber)
            json.key("status")
            json.string(status.rawValue)
            json.key("paymentStatus")
            json.string(paymentStatus.rawValue)
            json.key("fulfillmentStatus")
            json.string(fulfillmentStatus.rawValue)
            json.key("currency")
            json.string(currency)
            json.key("amountTotal")
            json.integer(amountTotal)
            json.key("items")
            json.array(items) { json, item in
                json.object { json in
                    json.key("productId")
                    json.string(item.productId)
                    json.key("title")
                    json.string(item.title)
                    json.key("unitAmount")
                    json.integer(item.unitAmount)
                    json.key("quantity")
                    json.integer(item.quantity)
                    json.key("amountTotal")
                    json.integer(item.amountTotal)
                }
            }
            json.key("customerEmail")
            json.string(customerEmail)
            json.key("checkoutSessionId")
            json.string(checkoutSessionId)
            json.key("failureReason")
            json.string(failureReason)
            json.key("checkoutTotals")
            CheckoutTotalsJSON.write(checkoutTotals, to: &json)
            json.key("createdAt")
            json.string(createdAt)
            json.key("updatedAt")
            json.string(updatedAt)
            json.key("subscription")
            if let subscription {
                json.object { json in
                    json.key("id")
                    json.string(subscription.id)
                    json.key("status")
                    json.string(subscription.status)
                    json.key("currentPeriodEnd")
                    json.string(subscription.currentPeriodEnd)
                    json.key("cancelAtPeriodEnd")
                    json.bool(subscription.cancelAtPeriodEnd)
                    json.key("nextRenewalAt")
                    json.string(subscription.nextRenewalAt)
                }
            } else {
                json.string(nil as String?)
            }
        }
    }
}

extension CheckoutTotalsJSON {
    /// The same bytes as the `Encodable` conformance (keys in `CodingKeys` order), or `null`.
    static func write(_ totals: CheckoutTotalsJSON?, to json: inout JSONWriter) {
        guard let totals else {
            json.null()
            return
        }
        json.object { json in
            json.key("amountSubtotal")
            json.integer(totals.amountSubtotal)
            json.key("amountDiscount")
            json.integer(totals.amountDiscount)
            json.key("amountTax")
            json.integer(totals.amountTax)
            json.key("amountShipping")
            json.integer(totals.amountShipping)
            json.key("amountTotal")
            json.integer(totals.amountTotal)
            json.key("promotionCode")
            json.string(totals.promotionCode)
        }
    }
}
