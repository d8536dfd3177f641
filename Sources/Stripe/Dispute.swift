/// A Stripe Dispute (`object: "dispute"`), as carried by `charge.dispute.created`, `.updated`, `.closed`,
/// `.funds_withdrawn` and `.funds_reinstated` (https://docs.stripe.com/api/disputes/object).
///
/// The outcome is the object's ``status``, never the event type: `funds_reinstated` also fires for
/// disputes that end other ways, so only `status == won` / `lost` says who won.
public struct Dispute: Codable, Sendable, Hashable {
    /// `du_…`.
    public var id: String
    public var object: String
    /// Disputed amount, minor units of ``currency``.
    public var amount: Int64
    public var currency: String?
    public var charge: String?
    public var paymentIntent: String?
    /// `fraudulent`, `product_not_received`, `duplicate`, … (open set).
    public var reason: String?
    /// `warning_needs_response`, `warning_under_review`, `warning_closed`, `needs_response`,
    /// `under_review`, `won`, `lost`, `prevented` (open set: kept as text).
    public var status: String
    /// `evidence_details.due_by` (Unix seconds): the deadline for evidence.
    public var evidenceDueBy: Int64?
    public var created: Int64?

    /// Memberwise, for the simulator and tests.
    public init(
        id: String, object: String = "dispute", amount: Int64, currency: String?, charge: String?,
        paymentIntent: String?, reason: String?, status: String, evidenceDueBy: Int64?, created: Int64? = nil
    ) {
        self.id = id
        self.object = object
        self.amount = amount
        self.currency = currency
        self.charge = charge
        self.paymentIntent = paymentIntent
        self.reason = reason
        self.status = status
        self.evidenceDueBy = evidenceDueBy
        self.created = created
    }

    enum CodingKeys: String, CodingKey {
        case id, object, amount, currency, charge, reason, status, created
        case paymentIntent = "payment_intent"
        case evidenceDetails = "evidence_details"
    }

    enum EvidenceKeys: String, CodingKey {
        case dueBy = "due_by"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        object = try c.decodeIfPresent(String.self, forKey: .object) ?? "dispute"
        amount = try c.decodeIfPresent(Int64.self, forKey: .amount) ?? 0
        currency = try c.decodeIfPresent(String.self, forKey: .currency)
        charge = try c.decodeExpandableID(forKey: .charge)
        paymentIntent = try c.decodeExpandableID(forKey: .paymentIntent)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? ""
        if (try? c.decodeNil(forKey: .evidenceDetails)) == false, c.contains(.evidenceDetails) {
            let e = try c.nestedContainer(keyedBy: EvidenceKeys.self, forKey: .evidenceDetails)
            evidenceDueBy = try e.decodeIfPresent(Int64.self, forKey: .dueBy)
        } else {
            evidenceDueBy = nil
        }
        created = try c.decodeIfPresent(Int64.self, forKey: .created)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(amount, forKey: .amount)
        try c.encode(currency, forKey: .currency)
        try c.encode(charge, forKey: .charge)
        try c.encode(paymentIntent, forKey: .paymentIntent)
        try c.encode(reason, forKey: .reason)
        try c.encode(status, forKey: .status)
        var e = c.nestedContainer(keyedBy: EvidenceKeys.self, forKey: .evidenceDetails)
        try e.encode(evidenceDueBy, forKey: .dueBy)
        try c.encode(created, forKey: .created)
    }
}

/// A Radar early fraud warning (`object: "radar.early_fraud_warning"`), as carried by
/// `radar.early_fraud_warning.created` / `.updated` (https://docs.stripe.com/api/radar/early_fraud_warnings/object).
/// `actionable` true means refunding now can still prevent a dispute.
public struct EarlyFraudWarning: Codable, Sendable, Hashable {
    /// `issfr_…`.
    public var id: String
    public var object: String
    public var actionable: Bool
    public var charge: String?
    public var paymentIntent: String?
    /// `card_never_received`, `fraudulent_card_application`, `made_with_counterfeit_card`, … (open set).
    public var fraudType: String?
    public var created: Int64?

    /// Memberwise, for the simulator and tests.
    public init(
        id: String, object: String = "radar.early_fraud_warning", actionable: Bool, charge: String?,
        paymentIntent: String?, fraudType: String?, created: Int64? = nil
    ) {
        self.id = id
        self.object = object
        self.actionable = actionable
        self.charge = charge
        self.paymentIntent = paymentIntent
        self.fraudType = fraudType
        self.created = created
    }

    enum CodingKeys: String, CodingKey {
        case id, object, actionable, charge, created
        case paymentIntent = "payment_intent"
        case fraudType = "fraud_type"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        object = try c.decodeIfPresent(String.self, forKey: .object) ?? "radar.early_fraud_warning"
        actionable = try c.decodeIfPresent(Bool.self, forKey: .actionable) ?? false
        charge = try c.decodeExpandableID(forKey: .charge)
        paymentIntent = try c.decodeExpandableID(forKey: .paymentIntent)
        fraudType = try c.decodeIfPresent(String.self, forKey: .fraudType)
        created = try c.decodeIfPresent(Int64.self, forKey: .created)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(actionable, forKey: .actionable)
        try c.encode(charge, forKey: .charge)
        try c.encode(paymentIntent, forKey: .paymentIntent)
        try c.encode(fraudType, forKey: .fraudType)
        try c.encode(created, forKey: .created)
    }
}
