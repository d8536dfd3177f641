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
        /// Runs inline on the event loop (never blocks); see `HTTPServer.init(configuration:router:)`.
        var onEventLoop: Bool
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
    ///
    /// `onEventLoop: true` (for a server built with `HTTPServer(configuration:router:)`) runs the handler,
    /// and the middleware around it, inline on the event loop instead of a worker thread: only for
    /// handlers that never block (no database, no outbound call, no waiting on a lock held across I/O).
    public func add(
        _ method: HTTPMethod, _ pattern: String, onEventLoop: Bool = false, _ handler: @escaping HTTPHandler
    ) {
        let segments: [Segment] = pattern.split(separator: "/").map {
            $0.hasPrefix(":") ? .parameter(String($0.dropFirst())) : .literal(String($0))
        }
        table.append(
            Route(method: method, pattern: pattern, segments: segments, handler: handler, onEventLoop: onEventLoop))
    }

    /// Registers a GET (and so HEAD) handler; `onEventLoop` as in `add`.
    public func get(_ pattern: String, onEventLoop: Bool = false, _ handler: @escaping HTTPHandler) {
        add(.get, pattern, onEventLoop: onEventLoop, handler)
    }
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

    /// Whether `request` goes to a route registered `onEventLoop: true`; nil when no route is (then the
    /// server does not match twice). Unmatched requests (404/405) go to a worker like any other.
    public func eventLoopPredicate() -> (@Sendable (HTTPRequest) -> Bool)? {
        let table = self.table
        guard table.contains(where: \.onEventLoop) else { return nil }
        return { request in Self.bestMatch(request, table: table)?.route.onEventLoop ?? false }
    }

    /// The pattern `request`'s path belongs to, by the same rule as dispatch: the route that handles it,
    /// or for a 405 the best pattern registered for other methods; nil when no pattern matches (404).
    /// The one matcher behind access-log and metrics labels (a pattern, never the raw path: paths carry
    /// ids, which would make one series per order).
    public func routePattern(for request: HTTPRequest) -> String? {
        if let best = Self.bestMatch(request, table: table) { return best.route.pattern }
        var best: (pattern: String, score: UInt64)?
        for route in table {
            guard let score = Self.literalScore(route.segments, request.pathSegments) else { continue }
            if let current = best, score <= current.score { continue }
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
        for route in table where literalScore(route.segments, request.pathSegments) != nil {
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
        // Scored without allocating (a bit mask per candidate); only the winner's parameters are decoded.
        let segments = request.pathSegments
        var best = -1
        var bestScore: UInt64 = 0
        var bestExact = false
        for index in table.indices {
            let method = table[index].method
            guard method == request.method || (request.method == .head && method == .get) else { continue }
            guard let score = literalScore(table[index].segments, segments) else { continue }
            let exact = method == request.method
            if best >= 0 {
                // Prefer an exact method match (an explicit HEAD route over GET), then specificity.
                let better = exact != bestExact ? exact : score > bestScore
                if !better { continue }
            }
            best = index
            bestScore = score
            bestExact = exact
        }
        guard best >= 0 else { return nil }
        return (table[best], parameters(table[best].segments, segments))
    }

    /// Whether raw path segments match a pattern and, if so, its specificity: bit 63 − i is set when
    /// segment i matched a literal, so of two matches the one with a literal earliest has the larger score
    /// (segments beyond the 64th do not count towards it). A parameter segment must percent-decode.
    private static func literalScore(_ pattern: [Segment], _ path: [Substring]) -> UInt64? {
        guard pattern.count == path.count else { return nil }
        var score: UInt64 = 0
        for i in pattern.indices {
            let raw = path[i]
            switch pattern[i] {
            case .literal(let literal):
                // Bytes first: targets are visible ASCII, so equal bytes are the common, cheap match.
                guard
                    raw.utf8.elementsEqual(literal.utf8)
                        || RequestTarget.percentDecode(raw, plusIsSpace: false) == literal
                else {
                    return nil
                }
                if i < 64 { score |= 1 << UInt64(63 - i) }
            case .parameter:
                if raw.utf8.contains(UInt8(ascii: "%")) {
                    guard RequestTarget.percentDecode(raw, plusIsSpace: false) != nil else { return nil }
                }
            }
        }
        return score
    }

    /// The decoded parameters of a path that `literalScore` matched against `pattern`.
    private static func parameters(_ pattern: [Segment], _ path: [Substring]) -> [String: String] {
        var parameters: [String: String] = [:]
        for (segment, raw) in zip(pattern, path) {
            if case .parameter(let name) = segment {
                parameters[name] = RequestTarget.percentDecode(raw, plusIsSpace: false) ?? String(raw)
            }
        }
        return parameters
    }
}
