/// A request handler: synchronous on purpose.
///
/// Handlers block (libpq, URLSession via semaphores), so the server runs them on its own bounded pool of
/// worker threads, never on an event loop or Swift concurrency's cooperative pool. Throw `HTTPError` for
/// client-visible failures; any other error becomes 500 `internal_error` without details.
public typealias HTTPHandler = @Sendable (HTTPRequest) throws -> HTTPResponse

/// Code that wraps every request on a router: request logging, auth, CORS, metrics.
///
/// Call `next(request)` to continue (optionally with a changed request) and return or change its
/// response; return without calling it to short-circuit. `next` never throws `HTTPError` for route
/// errors: those are already rendered to responses, so a middleware sees the final status.
public protocol HTTPMiddleware: Sendable {
    /// Handles `request`, usually by calling `next`.
    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse
}

/// A middleware from a closure.
public struct ClosureMiddleware: HTTPMiddleware {
    let body: @Sendable (HTTPRequest, HTTPHandler) throws -> HTTPResponse

    /// Wraps `body`, which receives the request and the next handler.
    public init(_ body: @escaping @Sendable (HTTPRequest, HTTPHandler) throws -> HTTPResponse) {
        self.body = body
    }

    public func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        try body(request, next)
    }
}
