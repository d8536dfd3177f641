import HTTPServer

/// What a route accepts as a request body; checked before the handler runs.
///
/// Why a check at all: a JSON API that parses whatever arrives invites confusion attacks (a form post
/// from another origin is a "simple request" that browsers send without a CORS preflight; insisting
/// on `application/json` makes such cross-site posts fail with 415 before any work is done).
public enum JSONBodyPolicy: Sendable {
    /// No body is expected; one, if sent, must still be declared JSON.
    case optional
    /// A JSON body is required.
    case required
    /// The raw body is taken as is (the Stripe webhook: the signature covers the exact bytes).
    case raw

    /// Throws 415 `unsupported_media_type` when the request carries a body that is not declared JSON.
    func check(_ request: HTTPRequest) throws(HTTPError) {
        switch self {
        case .raw:
            return
        case .optional:
            if request.body.isEmpty { return }
        case .required:
            break
        }
        guard let type = request.headers["Content-Type"], Self.isJSON(type) else {
            throw HTTPError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "send the body as Content-Type: application/json")
        }
    }

    /// `application/json`, optionally with parameters (`; charset=utf-8`), case-insensitive.
    static func isJSON(_ contentType: String) -> Bool {
        let media = contentType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        let trimmed = media.filter { $0 != " " && $0 != "\t" }.lowercased()
        return trimmed == "application/json"
    }
}
