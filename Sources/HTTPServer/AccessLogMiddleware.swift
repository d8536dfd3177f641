/// One line of access log: what was asked, what was answered, how long it took.
public struct AccessLogEntry: Sendable {
    /// The request method (use `method.label` as a metrics label: it is bounded).
    public var method: HTTPMethod
    /// The decoded path (no query string: queries may carry tokens).
    public var path: String
    /// The matched route pattern (`/api/orders/:orderId`), or nil when no route matched; use it as a
    /// low-cardinality metrics label.
    public var route: String?
    /// The response status code.
    public var status: Int
    /// Wall time spent in the handler chain below this middleware, in seconds.
    public var durationSeconds: Double
    /// The request id (also in the `X-Request-Id` response header).
    public var requestID: String
    /// The peer address.
    public var remoteAddress: String
    /// Response body bytes.
    public var responseBytes: Int
}

/// Calls `log` once per request with an `AccessLogEntry`.
///
/// Why a closure and not a logger: this module does not pick a logging library (swift-log's rule that
/// libraries never configure logging); the application decides format and destination, and can feed
/// metrics from the same entry. Never logs headers, query strings or bodies, which may carry secrets.
public struct AccessLogMiddleware: HTTPMiddleware {
    private let router: Router?
    private let log: @Sendable (AccessLogEntry) -> Void

    /// Logs every request; pass the `router` this middleware is installed on to get `route` filled in.
    public init(router: Router? = nil, log: @escaping @Sendable (AccessLogEntry) -> Void) {
        self.router = router
        self.log = log
    }

    public func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        let start = ContinuousClock.now
        var status = 500
        var bytes = 0
        defer {
            let elapsed = ContinuousClock.now - start
            let seconds =
                Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            log(
                AccessLogEntry(
                    method: request.method, path: request.path, route: router?.routePattern(for: request),
                    status: status, durationSeconds: seconds, requestID: request.requestID,
                    remoteAddress: request.remoteAddress, responseBytes: bytes))
        }
        do {
            let response = try next(request)
            status = response.status.code
            bytes = response.body.count
            return response
        } catch let error as HTTPError {
            status = error.status.code
            throw error
        }
    }
}
