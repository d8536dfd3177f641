/// Maps method + path patterns to handlers, with middleware.
///
/// Patterns are `/`-separated literal segments and `:name` parameters (`/api/orders/:orderId`). When
/// several patterns match a path, the one with a literal segment earliest wins (`/a/by-session/:id`
/// beats `/a/:id/:x` for `/a/by-session/1`). A path that matches no pattern answers 404 `not_found`; a
/// path that matches only for other methods answers 405 `method_not_allowed` with `Allow`. HEAD runs
/// the GET handler (the server drops the body). Handler errors are rendered by `HTTPError.response`.
///
/// Configure it completely before `handler()` is served; it is not mutated afterwards, which is why it is
/// `@unchecked Sendable` without a lock.
public final class Router: @unchecked Sendable {
    struct Route {
        var method: HTTPMethod
        var pattern: String
        var segments: [Segment]
        var handler: HTTPHandler
    }

    enum Segment: Equatable {
        case literal(String)
        case parameter(String)
    }

    private var table: [Route] = []
    private var middlewares: [any HTTPMiddleware] = []

    /// An empty router.
    public init() {}

    /// Registers `handler` for `method` on `pattern`. Registering the same method and pattern twice is a
    /// programming error (the first registration stays in force).
    public func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping HTTPHandler) {
        let segments: [Segment] = pattern.split(separator: "/").map {
            $0.hasPrefix(":") ? .parameter(String($0.dropFirst())) : .literal(String($0))
        }
        table.append(Route(method: method, pattern: pattern, segments: segments, handler: handler))
    }

    /// Registers a GET (and so HEAD) handler.
    public func get(_ pattern: String, _ handler: @escaping HTTPHandler) { add(.get, pattern, handler) }
    /// Registers a POST handler.
    public func post(_ pattern: String, _ handler: @escaping HTTPHandler) { add(.post, pattern, handler) }
    /// Registers a PUT handler.
    public func put(_ pattern: String, _ handler: @escaping HTTPHandler) { add(.put, pattern, handler) }
    /// Registers a DELETE handler.
    public func delete(_ pattern: String, _ handler: @escaping HTTPHandler) { add(.delete, pattern, handler) }
    /// Registers a PATCH handler.
    public func patch(_ pattern: String, _ handler: @escaping HTTPHandler) { add(.patch, pattern, handler) }

    /// Adds a middleware; the first added is the outermost (sees the request first, the response last).
    public func use(_ middleware: any HTTPMiddleware) { middlewares.append(middleware) }

    /// Every registered (method, pattern), in registration order.
    public var routes: [(method: HTTPMethod, pattern: String)] { table.map { ($0.method, $0.pattern) } }

    /// The route-matching handler wrapped in the middleware chain. It does not throw in practice: errors
    /// from routes and middleware become responses, and every response carries `X-Request-Id`.
    public func handler() -> HTTPHandler {
        let table = self.table
        let dispatch: HTTPHandler = { request in
            let best = Self.bestMatch(request, table: table)
            var response: HTTPResponse
            do {
                response = try Self.route(request, best: best, table: table)
            } catch let error as HTTPError {
                response = error.response(requestID: request.requestID)
            } catch {
                response = HTTPError.internalError.response(requestID: request.requestID)
            }
            response.route = best?.route.pattern
            return response
        }
        var chain = dispatch
        for middleware in middlewares.reversed() {
            let next = chain
            chain = { request in try middleware.handle(request, next: next) }
        }
        let wrapped = chain
        return { request in
            var response: HTTPResponse
            do {
                response = try wrapped(request)
            } catch let error as HTTPError {
                response = error.response(requestID: request.requestID)
            } catch {
                response = HTTPError.internalError.response(requestID: request.requestID)
            }
            if !response.headers.contains("X-Request-Id") {
                response.headers.add("X-Request-Id", request.requestID)
            }
            return response
        }
    }

    /// The pattern `request`'s path belongs to, by the same rule as dispatch: the route that handles it,
    /// or for a 405 the best pattern registered for other methods; nil when no pattern matches (404).
    /// The one matcher behind access-log and metrics labels (a pattern, never the raw path: paths carry
    /// ids, which would make one series per order).
    public func routePattern(for request: HTTPRequest) -> String? {
        if let best = Self.bestMatch(request, table: table) { return best.route.pattern }
        var best: (pattern: String, score: [Bool])?
        for route in table {
            guard let (_, score) = Self.match(route.segments, request.pathSegments) else { continue }
            if let current = best, !score.lexicographicallyPrecedes(current.score, by: { $0 && !$1 }) { continue }
            best = (route.pattern, score)
        }
        return best?.pattern
    }

    private static func route(
        _ request: HTTPRequest, best: (route: Route, parameters: [String: String])?, table: [Route]
    ) throws -> HTTPResponse {
        if let best {
            var request = request
            request.pathParameters = best.parameters
            return try best.route.handler(request)
        }
        var allowed: [HTTPMethod] = []
        for route in table where match(route.segments, request.pathSegments) != nil {
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if allowed.isEmpty { throw HTTPError.notFound }
        if allowed.contains(.get) && !allowed.contains(.head) { allowed.append(.head) }
        throw HTTPError(
            .methodNotAllowed, code: "method_not_allowed",
            message: "method \(request.method.rawValue) is not allowed here",
            headers: ["Allow": allowed.map(\.rawValue).joined(separator: ", ")])
    }

    private static func bestMatch(_ request: HTTPRequest, table: [Route]) -> (
        route: Route, parameters: [String: String]
    )? {
        let segments = request.pathSegments
        var best: (route: Route, parameters: [String: String], score: [Bool])?
        for route in table {
            guard let (parameters, score) = match(route.segments, segments) else { continue }
            let methodMatches =
                route.method == request.method || (request.method == .head && route.method == .get)
            guard methodMatches else { continue }
            if let current = best {
                // Prefer an exact method match (an explicit HEAD route over GET), then specificity.
                let currentExact = current.route.method == request.method
                let exact = route.method == request.method
                let better =
                    exact != currentExact
                    ? exact : score.lexicographicallyPrecedes(current.score, by: { $0 && !$1 })
                if !better { continue }
            }
            best = (route, parameters, score)
        }
        return best.map { ($0.route, $0.parameters) }
    }

    /// Matches raw path segments against a pattern; returns decoded parameters and, per segment, whether
    /// it matched a literal (for specificity ordering).
    private static func match(_ pattern: [Segment], _ path: [Substring]) -> ([String: String], [Bool])? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        var score: [Bool] = []
        score.reserveCapacity(path.count)
        for (segment, raw) in zip(pattern, path) {
            switch segment {
            case .literal(let literal):
                guard raw == literal || RequestTarget.percentDecode(raw, plusIsSpace: false) == literal else {
                    return nil
                }
                score.append(true)
            case .parameter(let name):
                guard let value = RequestTarget.percentDecode(raw, plusIsSpace: false) else { return nil }
                parameters[name] = value
                score.append(false)
            }
        }
        return (parameters, score)
    }
}
