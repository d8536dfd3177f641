import Foundation

/// `POST /api/admin/orders/:id/refunds` body, validated (pure): `{"amount"?, "reason", "note"?,
/// "paymentId"?, "restock"?}`. Unknown fields are refused by name.
public struct AdminRefundRequest: Sendable, Equatable {
    /// Minor units; nil = all that the payment can still refund.
    public var amount: Int64?
    /// `requested_by_customer`, `duplicate` or `fraudulent` (Stripe's refund reasons).
    public var reason: String
    public var note: String?
    /// The PaymentIntent of the payment to refund; nil = the order's one refundable Stripe payment.
    public var paymentID: String?
    /// Return the order's units to stock once the refund succeeded (only with a refund of everything
    /// that is left).
    public var restock: Bool

    public static let reasons: Set<String> = ["requested_by_customer", "duplicate", "fraudulent"]

    public init(
        amount: Int64? = nil, reason: String, note: String? = nil, paymentID: String? = nil, restock: Bool = false
    ) {
        self.amount = amount
        self.reason = reason
        self.note = note
        self.paymentID = paymentID
        self.restock = restock
    }

    /// Parses and validates the raw JSON body.
    public static func parse(_ body: [UInt8]) throws(CheckoutError) -> AdminRefundRequest {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            throw .invalidJSON("request body is not valid JSON")
        }
        guard let root = object as? [String: Any] else { throw .invalidJSON("request body must be a JSON object") }
        let known: Set<String> = ["amount", "reason", "note", "paymentId", "restock"]
        for key in root.keys.sorted() where !known.contains(key) {
            throw .validation(field: key, message: "unknown field")
        }
        var amount: Int64?
        if let raw = root["amount"], !(raw is NSNull) {
            guard let number = raw as? NSNumber, !(raw is String), String(cString: number.objCType) != "c",
                number.doubleValue.isFinite, number.doubleValue == number.doubleValue.rounded(),
                number.doubleValue >= 1, number.doubleValue <= 99_999_999_999
            else {
                throw .validation(field: "amount", message: "must be a whole number of minor units, at least 1")
            }
            amount = Int64(number.doubleValue)
        }
        guard let reason = root["reason"] as? String else {
            throw .validation(field: "reason", message: "is required: requested_by_customer, duplicate or fraudulent")
        }
        guard reasons.contains(reason) else {
            throw .validation(field: "reason", message: "must be requested_by_customer, duplicate or fraudulent")
        }
        var note: String?
        if let raw = root["note"], !(raw is NSNull) {
            guard let text = raw as? String else { throw .validation(field: "note", message: "must be a string") }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.unicodeScalars.count <= 500, !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 })
            else {
                throw .validation(
                    field: "note", message: "must be at most 500 Unicode scalars, without control characters")
            }
            note = trimmed.isEmpty ? nil : trimmed
        }
        var paymentID: String?
        if let raw = root["paymentId"], !(raw is NSNull) {
            guard let text = raw as? String, !text.isEmpty, text.utf8.count <= 255,
                text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f })
            else {
                throw .validation(field: "paymentId", message: "must be a PaymentIntent id of the order")
            }
            paymentID = text
        }
        var restock = false
        if let raw = root["restock"], !(raw is NSNull) {
            guard let number = raw as? NSNumber, String(cString: number.objCType) == "c" else {
                throw .validation(field: "restock", message: "must be true or false")
            }
            restock = number.boolValue
        }
        return AdminRefundRequest(amount: amount, reason: reason, note: note, paymentID: paymentID, restock: restock)
    }
}
