import HTTPServer

/// Applies a ``RateLimiter`` to the public POST routes (create-checkout-session, retry-session): the
/// ones that create orders and Stripe sessions, so a script cannot exhaust stock or our Stripe quota.
struct RateLimitMiddleware: HTTPMiddleware {
    let limiter: RateLimiter

    static func isLimited(_ request: HTTPRequest) -> Bool {
        guard request.method == .post else { return false }
        return request.path == "/api/payments/create-checkout-session"
            || (request.path.hasPrefix("/api/orders/") && request.path.hasSuffix("/retry-session"))
    }

    /// The peer address without its port (`[::1]:5000` → `::1`, `1.2.3.4:5` → `1.2.3.4`).
    static func clientKey(_ remote: String) -> String {
        if remote.hasPrefix("["), let end = remote.firstIndex(of: "]") {
            return String(remote[remote.index(after: remote.startIndex)..<end])
        }
        if remote.filter({ $0 == ":" }).count == 1, let colon = remote.lastIndex(of: ":") {
            return String(remote[..<colon])
        }
        return remote
    }

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        if Self.isLimited(request), let wait = limiter.acquire(Self.clientKey(request.remoteAddress)) {
            return HTTPError(
                .tooManyRequests, code: "rate_limited", message: "too many requests; retry after \(wait) s",
                headers: ["Retry-After": String(wait)]
            ).response(requestID: request.requestID)
        }
        return try next(request)
    }
}
