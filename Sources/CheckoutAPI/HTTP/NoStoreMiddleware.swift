import HTTPServer

/// Adds `Cache-Control: no-store` to every response that did not choose its own caching.
///
/// Why: API and operational answers (`/readyz`, `/metrics`, orders, products, errors) describe one
/// moment, and some carry customer data; a shared cache in front of the service must never keep or
/// replay them (RFC 9111 §5.2.2.5). Static pages set their own `Cache-Control` (revalidate with
/// `no-cache`) and keep it.
struct NoStoreMiddleware: HTTPMiddleware {
    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        var response: HTTPResponse
        do {
            response = try next(request)
        } catch let error as HTTPError {
            response = error.response(requestID: request.requestID)
        }
        if !response.headers.contains("Cache-Control") { response.headers.add("Cache-Control", "no-store") }
        return response
    }
}
