import Dispatch
import HTTPServer
import Logging

/// The outermost middleware: one access-log line and one metrics sample per request.
///
/// The line carries `request_id`, `method` (bounded: `HTTPMethod.label`, `other` for a token outside the
/// known set), `route` (the registered pattern, never the raw path, so
/// ids in paths do not end up in log indexes), `status`, `duration_ms` and `remote`. It never logs
/// headers, query strings or bodies (they may carry tokens, emails or card-adjacent data).
struct AccessLogMiddleware: HTTPMiddleware {
    let logger: Logger
    let metrics: Metrics
    /// The router this middleware is installed on: its matcher names the route (one source of truth).
    let router: Router

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        var response: HTTPResponse
        do {
            response = try RequestContext.withRequestID(request.requestID) { try next(request) }
        } catch let error as HTTPError {
            response = error.response(requestID: request.requestID)
        } catch {
            logger.error(
                "unhandled error", metadata: ["request_id": .string(request.requestID), "error": "\(type(of: error))"])
            response = HTTPError.internalError.response(requestID: request.requestID)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // The router names the route it dispatched to; a response a middleware answered itself (a 405, a
        // 429, a preflight) is matched here by the same rule.
        var route = response.route ?? router.routePattern(for: request) ?? "unmatched"
        if route == "unmatched" {
            // Static pages get one label per folder, so file names do not become metric series.
            for prefix in ["/demo", "/admin"] where request.path == prefix || request.path.hasPrefix(prefix + "/") {
                route = prefix + "/*"
            }
        }
        metrics.recordRequest(
            method: request.method.label, route: route, status: response.status.code, seconds: seconds)
        let level: Logger.Level = response.status.code >= 500 ? .warning : .info
        logger.log(
            level: level, "request",
            metadata: [
                "request_id": .string(request.requestID), "method": .string(request.method.label),
                "route": .string(route), "status": .stringConvertible(response.status.code),
                "duration_ms": .stringConvertible((seconds * 1_000_000).rounded() / 1000),
                "remote": .string(request.remoteAddress),
            ])
        return response
    }
}
