import HTTPServer

/// Guards every path under `/api/admin/` with `Authorization: Bearer $ADMIN_TOKEN` (docs/API.md §3).
///
/// - `ADMIN_TOKEN` unset: 503 `admin_disabled` (the operator has not turned the admin API on;
///   answering 401 would suggest that some token could work).
/// - missing, malformed or wrong token: 401 `unauthorized` with `WWW-Authenticate: Bearer`.
/// The token is compared in constant time. It runs before routing, so unknown admin paths also need
/// the token (their existence is not revealed to anonymous clients).
struct AdminAuthMiddleware: HTTPMiddleware {
    /// The configured token; nil disables the admin API.
    let token: Secret?
    /// Path prefix protected.
    static let prefix = "/api/admin"

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        guard request.path == Self.prefix || request.path.hasPrefix(Self.prefix + "/") else {
            return try next(request)
        }
        guard let token else {
            return HTTPError(
                .serviceUnavailable, code: "admin_disabled",
                message: "the admin API is disabled: ADMIN_TOKEN is not configured on the server"
            ).response(requestID: request.requestID)
        }
        let challenge: HTTPHeaders = ["WWW-Authenticate": "Bearer realm=\"checkout-admin\""]
        guard let header = request.headers["Authorization"] else {
            return HTTPError(
                .unauthorized, code: "unauthorized", message: "an admin bearer token is required",
                headers: challenge
            ).response(requestID: request.requestID)
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            ConstantTime.equals(parts[1].trimmingCharacters(in: " \t").utf8, token.reveal().utf8)
        else {
            return HTTPError(
                .unauthorized, code: "unauthorized", message: "the admin bearer token is not valid",
                headers: challenge
            ).response(requestID: request.requestID)
        }
        return try next(request)
    }
}

extension Substring {
    /// Without leading/trailing characters from `set` (Foundation-free).
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
