import Foundation
import HTTPServer
import Testing
import TestSupport

/// Routes registered `onEventLoop: true` run inline on the event loop (no worker hand-off); the others,
/// unmatched paths included, still run on the worker pool.
@Suite("HTTPServer routes on the event loop")
struct EventLoopRouteTests {
    static func router(gate: DispatchSemaphore = DispatchSemaphore(value: 0)) -> Router {
        let router = Router()
        router.get("/inline", onEventLoop: true) { _ in .text("inline") }
        router.get("/inline/:id", onEventLoop: true) { request in .text("inline \(request.pathParameters["id"] ?? "?")")
        }
        router.get("/worker") { _ in .text("worker") }
        router.get("/block") { _ in
            // Holds its worker until the test releases it (bounded, so a failing test cannot hang).
            _ = gate.wait(timeout: .now() + 10)
            return .text("released")
        }
        router.add(.post, "/inline-echo", onEventLoop: true) { request in
            HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body)
        }
        router.get("/inline-fail", onEventLoop: true) { _ in
            throw HTTPError(.conflict, code: "out_of_stock", message: "gone")
        }
        router.use(
            ClosureMiddleware { request, next in
                var response = try next(request)
                response.headers.add("X-Middleware", "ran")
                return response
            })
        return router
    }

    func withRouterServer<T>(
        _ router: Router, workers: Int = 2, queue: Int = 64, _ body: (HTTPServer) throws -> T
    ) throws -> T {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoops = 2
        configuration.workerThreads = workers
        configuration.workerQueueLimit = queue
        configuration.shutdownGrace = .seconds(5)
        let server = HTTPServer(configuration: configuration, router: router)
        try server.start()
        defer { server.shutdown() }
        return try body(server)
    }

    /// With the only worker held and its queue full, a worker route is refused 503 `server_busy` while a
    /// route on the event loop (middleware included) still answers: it never needed a worker.
    @Test func flaggedRoutesAnswerWhileEveryWorkerIsBusy() throws {
        let gate = DispatchSemaphore(value: 0)
        try withRouterServer(Self.router(gate: gate), workers: 1, queue: 1) { server in
            defer { for _ in 0..<2 { gate.signal() } }
            let holding = try RawHTTPConnection(port: server.port)
            try holding.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(eventually { server.stats.activeRequests == 1 })
            let queued = try RawHTTPConnection(port: server.port)
            try queued.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(eventually { server.stats.queuedRequests == 1 })
            let refused = try TestHTTPClient.request(port: server.port, method: "GET", path: "/worker")
            #expect(refused.status == 503)
            let inline = try TestHTTPClient.request(port: server.port, method: "GET", path: "/inline")
            #expect(inline.status == 200)
            #expect(inline.text == "inline")
            #expect(inline.header("X-Middleware") == "ran")
            #expect(inline.header("X-Request-Id").map(RequestID.isSane) == true)
            let head = try TestHTTPClient.request(port: server.port, method: "HEAD", path: "/inline")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            gate.signal()
            gate.signal()
            #expect(try holding.readResponse().text == "released")
            #expect(try queued.readResponse().text == "released")
            let worker = try TestHTTPClient.request(port: server.port, method: "GET", path: "/worker")
            #expect(worker.text == "worker")
        }
    }

    @Test func errorsAndUnmatchedPathsKeepTheirShape() throws {
        try withRouterServer(Self.router()) { server in
            let failed = try TestHTTPClient.request(port: server.port, method: "GET", path: "/inline-fail")
            #expect(failed.status == 409)
            #expect(((try failed.json())["error"] as? [String: Any])?["code"] as? String == "out_of_stock")
            let missing = try TestHTTPClient.request(port: server.port, method: "GET", path: "/nope")
            #expect(missing.status == 404)
            let wrongMethod = try TestHTTPClient.request(port: server.port, method: "DELETE", path: "/inline")
            #expect(wrongMethod.status == 405)
            let echo = try TestHTTPClient.request(
                port: server.port, method: "POST", path: "/inline-echo", body: [0, 1, 2, 0xFF])
            #expect(echo.body == [0, 1, 2, 0xFF])
        }
    }

    /// A burst of pipelined requests on one connection is answered in order, each exactly once, whether
    /// they go to the loop or to a worker.
    @Test(arguments: [100, 400])
    func pipelinedBurstIsAnsweredInOrder(count: Int) throws {
        try withRouterServer(Self.router()) { server in
            let connection = try RawHTTPConnection(port: server.port)
            var burst = ""
            for i in 0..<count {
                burst +=
                    i % 7 == 3
                    ? "GET /worker HTTP/1.1\r\nHost: x\r\n\r\n" : "GET /inline/\(i) HTTP/1.1\r\nHost: x\r\n\r\n"
            }
            try connection.send(burst)
            for i in 0..<count {
                let response = try connection.readResponse()
                #expect(response.status == 200)
                #expect(response.text == (i % 7 == 3 ? "worker" : "inline \(i)"))
            }
        }
    }

    @Test func noPredicateWhenNoRouteIsFlagged() throws {
        let router = Router()
        router.get("/a") { _ in .text("a") }
        #expect(router.eventLoopPredicate() == nil)
        let flagged = Self.router()
        let predicate = try #require(flagged.eventLoopPredicate())
        #expect(predicate(HTTPRequest(method: .get, target: "/inline")))
        #expect(predicate(HTTPRequest(method: .head, target: "/inline/7")))
        #expect(!predicate(HTTPRequest(method: .get, target: "/worker")))
        #expect(!predicate(HTTPRequest(method: .get, target: "/nope")))
        #expect(!predicate(HTTPRequest(method: .delete, target: "/inline")))
    }

    /// The literal at the earliest position wins whatever the registration order; an exact HEAD route
    /// beats GET; a parameter that does not percent-decode matches nothing.
    @Test(arguments: [false, true])
    func specificityDoesNotDependOnRegistrationOrder(reversed: Bool) throws {
        var patterns = ["/a/:x/c", "/a/b/:y", "/:p/b/c", "/a/b/c/:z"]
        if reversed { patterns.reverse() }
        let router = Router()
        for pattern in patterns { router.get(pattern) { _ in .text(pattern) } }
        router.add(.head, "/h/:id") { _ in .text("head") }
        router.get("/h/:id") { _ in .text("get") }
        let handler = router.handler()
        func body(_ method: HTTPMethod, _ target: String) throws -> String {
            String(decoding: try handler(HTTPRequest(method: method, target: target)).body, as: UTF8.self)
        }
        #expect(try body(.get, "/a/b/c") == "/a/b/:y")
        #expect(try body(.get, "/a/q/c") == "/a/:x/c")
        #expect(try body(.get, "/z/b/c") == "/:p/b/c")
        #expect(try body(.get, "/a/b/c/d") == "/a/b/c/:z")
        #expect(try body(.get, "/h/1") == "get")
        #expect(try handler(HTTPRequest(method: .head, target: "/h/1")).body == Array("head".utf8))
        #expect(try handler(HTTPRequest(method: .get, target: "/a/%zz/c")).status.code == 404)
        #expect(router.routePattern(for: HTTPRequest(method: .get, target: "/a/b/c")) == "/a/b/:y")
    }
}
