import HTTPServer

/// CORS for the public storefront routes only (`CORS_ALLOWED_ORIGINS`, default `PUBLIC_ORIGIN`).
///
/// The webhook (server-to-server) and the admin API (same-origin admin page, bearer token) never get
/// CORS headers, so a storefront origin cannot script them. Preflights (`OPTIONS` with
/// `Access-Control-Request-Method`) are answered here with 204 before routing; for an origin that is
/// not allowed the 204 carries no `Access-Control-Allow-Origin`, and the browser blocks the call.
struct CORSMiddleware: HTTPMiddleware {
    /// Allowed origins; `*` allows any origin (credentials are never allowed).
    let allowedOrigins: [String]

    static let publicPrefixes = ["/api/payments/create-checkout-session", "/api/orders/", "/api/products"]
    static let allowHeaders = "Content-Type, Idempotency-Key, X-Request-Id"
    static let exposeHeaders = "X-Request-Id, Retry-After"

    static func isPublic(_ path: String) -> Bool {
        publicPrefixes.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    func allowedOrigin(_ origin: String) -> String? {
        if allowedOrigins.contains("*") { return "*" }
        return allowedOrigins.contains(origin) ? origin : nil
    }

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        guard Self.isPublic(request.path), let origin = request.headers["Origin"] else {
            return try next(request)
        }
        let allowed = allowedOrigin(origin)
        if request.method == .options, request.headers["Access-Control-Request-Method"] != nil {
            var headers = HTTPHeaders()
            headers.add("Vary", "Origin")
            if let allowed {
                headers.add("Access-Control-Allow-Origin", allowed)
                headers.add("Access-Control-Allow-Methods", "GET, POST")
                headers.add("Access-Control-Allow-Headers", Self.allowHeaders)
                headers.add("Access-Control-Max-Age", "600")
            }
            return HTTPResponse(status: .noContent, headers: headers, body: [])
        }
        var response = try next(request)
        response.headers.add("Vary", "Origin")
        if let allowed {
            response.headers.replaceOrAdd("Access-Control-Allow-Origin", allowed)
            response.headers.replaceOrAdd("Access-Control-Expose-Headers", Self.exposeHeaders)
        }
        return response
    }
}
