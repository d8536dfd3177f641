import Foundation
import HTTPServer
import Synchronization
import Testing

@Suite("Router (in process, no sockets)")
struct RouterTests {
    static func router() -> Router {
        let router = Router()
        router.get("/api/orders/:orderId") { .text("order \($0.pathParameters["orderId"]!)") }
        router.get("/api/orders/by-session/:sessionId") { .text("session \($0.pathParameters["sessionId"]!)") }
        router.post("/api/orders/:orderId/retry-session") { .text("retry \($0.pathParameters["orderId"]!)") }
        router.put("/api/admin/products/:id") { _ in .text("put") }
        router.get("/api/admin/products/:id") { _ in .text("get") }
        router.delete("/things/:id") { _ in HTTPResponse(status: .noContent) }
        router.get("/") { _ in .text("root") }
        return router
    }

    @Test(
        arguments: [
            ("GET", "/api/orders/42", 200, "order 42"),
            ("GET", "/api/orders/by-session/cs_1", 200, "session cs_1"),
            ("GET", "/api/orders/a%2Fb", 200, "order a/b"),
            ("GET", "/api/orders/caf%C3%A9?x=1", 200, "order café"),
            ("POST", "/api/orders/7/retry-session", 200, "retry 7"),
            ("HEAD", "/api/orders/9", 200, "order 9"),
            ("GET", "/", 200, "root"),
            ("GET", "/api/orders", 404, nil),
            ("GET", "/api/orders/1/2/3", 404, nil),
            ("POST", "/api/orders/1", 405, nil),
            ("PATCH", "/api/admin/products/1", 405, nil),
        ] as [(String, String, Int, String?)])
    func routes(method: String, target: String, status: Int, body: String?) throws {
        let response = try Self.router().handler()(HTTPRequest(method: HTTPMethod(method), target: target))
        #expect(response.status.code == status)
        if let body { #expect(String(decoding: response.body, as: UTF8.self) == body) }
        #expect(response.headers["X-Request-Id"] != nil)
    }

    @Test func methodNotAllowedListsAllowedMethods() throws {
        let handler = Self.router().handler()
        let put = try handler(HTTPRequest(method: .post, target: "/api/admin/products/1"))
        #expect(put.headers["Allow"] == "PUT, GET, HEAD")
        let delete = try handler(HTTPRequest(method: .get, target: "/things/1"))
        #expect(delete.headers["Allow"] == "DELETE")
    }

    @Test func routesAreListed() {
        let routes = Self.router().routes
        #expect(routes.count == 7)
        #expect(routes.contains { $0.method == .post && $0.pattern == "/api/orders/:orderId/retry-session" })
    }

    @Test func middlewareWrapsInOrderAndSeesRenderedErrors() throws {
        let router = Router()
        let seen = Mutex<[String]>([])
        router.use(
            ClosureMiddleware { request, next in
                seen.withLock { $0.append("outer-in") }
                var response = try next(request)
                seen.withLock { $0.append("outer-out \(response.status.code)") }
                response.headers.add("X-Outer", "1")
                return response
            })
        router.use(
            ClosureMiddleware { request, next in
                seen.withLock { $0.append("inner-in") }
                return try next(request)
            })
        router.get("/fail") { _ in throw HTTPError(.unauthorized, code: "unauthorized", message: "no") }
        let response = try router.handler()(HTTPRequest(method: .get, target: "/fail"))
        #expect(response.status.code == 401)
        #expect(response.headers["X-Outer"] == "1")
        #expect(seen.withLock { $0 } == ["outer-in", "inner-in", "outer-out 401"])
    }

    @Test func middlewareThrowingIsRenderedToo() throws {
        let router = Router()
        router.use(
            ClosureMiddleware { _, _ in
                throw HTTPError(
                    .tooManyRequests, code: "rate_limited", message: "slow down", headers: ["Retry-After": "3"])
            })
        router.get("/x") { _ in .text("x") }
        let response = try router.handler()(HTTPRequest(method: .get, target: "/x", requestID: "rid"))
        #expect(response.status.code == 429)
        #expect(response.headers["Retry-After"] == "3")
        #expect(
            String(decoding: response.body, as: UTF8.self)
                == #"{"error":{"code":"rate_limited","message":"slow down"},"requestId":"rid"}"#)
    }

    static func labelRouter() -> Router {
        let router = Router()
        for pattern in [
            "/api/orders/by-session/:sessionId", "/api/admin/orders/:id", "/api/admin/orders", "/healthz",
            "/api/admin/orders/:id/sync",
        ] {
            router.get(pattern) { _ in .text("ok") }
        }
        router.post("/api/orders/:orderId/retry-session") { _ in .text("retry") }
        return router
    }

    @Test(
        "routePattern: the pattern the request's path belongs to, never the raw path; a 405 still gets it",
        arguments: [
            ("GET", "/api/orders/by-session/cs_123", "/api/orders/by-session/:sessionId"),
            ("POST", "/api/orders/5b0f/retry-session", "/api/orders/:orderId/retry-session"),
            ("GET", "/api/orders/5b0f/retry-session", "/api/orders/:orderId/retry-session"),  // 405
            ("GET", "/api/admin/orders", "/api/admin/orders"),
            ("GET", "/api/admin/orders/abc", "/api/admin/orders/:id"),
            ("DELETE", "/api/admin/orders/abc", "/api/admin/orders/:id"),  // 405
            ("GET", "/api/admin/orders/abc/sync", "/api/admin/orders/:id/sync"),
            ("GET", "/healthz", "/healthz"),
            ("GET", "/nope", nil),
            ("GET", "/api/admin/orders/abc/sync/extra", nil),
        ] as [(String, String, String?)])
    func routePatternLabels(method: String, path: String, pattern: String?) {
        let request = HTTPRequest(method: HTTPMethod(method), target: path)
        #expect(Self.labelRouter().routePattern(for: request) == pattern)
    }

    @Test("a literal segment beats a parameter for the label as for dispatch")
    func routePatternPrefersLiterals() throws {
        let router = Router()
        router.get("/a/:id/:x") { _ in .text("param") }
        router.get("/a/by-session/:id") { _ in .text("literal") }
        let request = HTTPRequest(method: .get, target: "/a/by-session/1")
        #expect(router.routePattern(for: request) == "/a/by-session/:id")
        let response = try router.handler()(request)
        #expect(String(decoding: response.body, as: UTF8.self) == "literal")
        #expect(response.route == "/a/by-session/:id")
    }

    @Test("the dispatched response carries its route pattern, also when the handler threw; 404/405 carry none")
    func responseCarriesRoute() throws {
        let router = Router()
        router.get("/orders/:id") { _ in .text("ok") }
        router.get("/fails/:id") { _ in throw HTTPError(.conflict, code: "c", message: "m") }
        let handler = router.handler()
        let ok = try handler(HTTPRequest(method: .get, target: "/orders/5?token=secret"))
        #expect(ok.status.code == 200 && ok.route == "/orders/:id")
        let failed = try handler(HTTPRequest(method: .get, target: "/fails/5"))
        #expect(failed.status.code == 409 && failed.route == "/fails/:id")
        let missing = try handler(HTTPRequest(method: .get, target: "/missing"))
        #expect(missing.status.code == 404 && missing.route == nil)
        let wrongMethod = try handler(HTTPRequest(method: .post, target: "/orders/5"))
        #expect(wrongMethod.status.code == 405 && wrongMethod.route == nil)
        #expect(router.routePattern(for: HTTPRequest(method: .post, target: "/orders/5")) == "/orders/:id")
    }

    @Test func errorShapeEscapesAndIncludesExtra() {
        let error = HTTPError(
            .serviceUnavailable, code: "stripe_unavailable", message: "quote \" and \\ and \n",
            extra: ["orderId": "o-1"])
        let body = String(decoding: error.jsonBody(requestID: "r"), as: UTF8.self)
        #expect(
            body
                == #"{"error":{"code":"stripe_unavailable","message":"quote \" and \\ and \n","orderId":"o-1"},"requestId":"r"}"#
        )
        let parsed = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(parsed != nil)
    }

    @Test func decodeJSONAnswers400InvalidJSON() throws {
        struct Body: Decodable { var items: [Int] }
        let good = HTTPRequest(method: .post, target: "/", body: Array(#"{"items":[1,2]}"#.utf8))
        #expect(try good.decodeJSON(Body.self).items == [1, 2])
        for raw in ["{", #"{"items":"x"}"#, "{}", ""] {
            let request = HTTPRequest(method: .post, target: "/", body: Array(raw.utf8))
            #expect(throws: HTTPError.self) { try request.decodeJSON(Body.self) }
            do {
                _ = try request.decodeJSON(Body.self)
            } catch {
                #expect(error.status.code == 400)
                #expect(error.code == "invalid_json")
            }
        }
    }

    @Test(arguments: [
        (0 as Int64, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_795_219_200, "Sat, 21 Nov 2026 00:00:00 GMT"),
        (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
    ])
    func httpDate(seconds: Int64, expected: String) {
        #expect(HTTPDate.format(unixSeconds: seconds) == expected)
    }

    @Test func headersAreCaseInsensitiveAndKeepRepeats() {
        var headers = HTTPHeaders()
        headers.add("Set-Cookie", "a=1")
        headers.add("set-cookie", "b=2")
        headers.add("Content-Type", "text/plain")
        #expect(headers["SET-COOKIE"] == "a=1")
        #expect(headers.values("Set-Cookie") == ["a=1", "b=2"])
        headers.replaceOrAdd("SET-cookie", "c=3")
        #expect(headers.values("set-cookie") == ["c=3"])
        #expect(headers.count == 2)
        headers.replaceOrAdd("X-New", "1")
        #expect(headers["x-new"] == "1")
        #expect(Array(headers).map(\.name) == ["Set-Cookie", "Content-Type", "X-New"])
    }

    @Test func requestIDRules() {
        #expect(RequestID.isSane("abc-DEF_1.2"))
        #expect(!RequestID.isSane(""))
        #expect(!RequestID.isSane("a b"))
        #expect(!RequestID.isSane("é"))
        #expect(!RequestID.isSane(String(repeating: "a", count: 129)))
        #expect(RequestID.isSane(String(repeating: "a", count: 128)))
        #expect(RequestID.resolve("ok-1") == "ok-1")
        let generated = RequestID.resolve("bad\r\nid")
        #expect(RequestID.isSane(generated) && generated.count == 20)
        #expect(RequestID.generate() != RequestID.generate())
    }
}
