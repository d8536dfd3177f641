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

    @Test func accessLogReportsRouteStatusAndDuration() throws {
        let router = Router()
        let entries = Mutex<[AccessLogEntry]>([])
        router.use(AccessLogMiddleware(router: router) { entry in entries.withLock { $0.append(entry) } })
        // The handler measures its own run (it waits until the clock has moved); the logged duration
        // encloses it, so it can be no shorter.
        let handlerRan = Mutex<Duration>(.zero)
        router.get("/orders/:id") { _ in
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .microseconds(200) {}
            handlerRan.withLock { $0 = ContinuousClock.now - start }
            return .text("ok")
        }
        let handler = router.handler()
        _ = try handler(HTTPRequest(method: .get, target: "/orders/5?token=secret", requestID: "r1"))
        _ = try handler(HTTPRequest(method: .get, target: "/missing"))
        let logged = entries.withLock { $0 }
        #expect(logged.count == 2)
        #expect(logged[0].route == "/orders/:id")
        #expect(logged[0].status == 200)
        #expect(logged[0].path == "/orders/5")
        #expect(logged[0].requestID == "r1")
        let ran = handlerRan.withLock { $0 }
        let ranSeconds = Double(ran.components.seconds) + Double(ran.components.attoseconds) / 1e18
        #expect(ranSeconds >= 0.0002)
        #expect(logged[0].durationSeconds >= ranSeconds)
        #expect(logged[1].route == nil)
        #expect(logged[1].status == 404)
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
