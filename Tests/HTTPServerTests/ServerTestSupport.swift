import Foundation
import HTTPServer
import Testing

/// Starts a server on port 0 with small timeouts, runs `body`, and always shuts it down.
func withServer<T>(
    configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    handler: @escaping HTTPHandler = testRouter().handler(),
    _ body: (HTTPServer) throws -> T
) throws -> T {
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
    configuration.eventLoops = 2
    configuration.workerThreads = 4
    configuration.headerTimeout = .milliseconds(2000)
    configuration.bodyTimeout = .milliseconds(2000)
    configuration.idleTimeout = .milliseconds(3000)
    configuration.shutdownGrace = .seconds(5)
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, handler: handler)
    try server.start()
    defer { server.shutdown() }
    return try body(server)
}

/// The routes the integration tests use.
func testRouter() -> Router {
    let router = Router()
    router.get("/hello") { _ in .text("Hello, World!") }
    router.get("/json") { _ in .json(["message": "Hello, World!"]) }
    router.post("/echo") { request in
        HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body)
    }
    router.get("/items/:id") { request in .text("item \(request.pathParameters["id"] ?? "?")") }
    router.get("/query") { request in .json(request.query) }
    router.get("/fail") { _ in throw HTTPError(.conflict, code: "out_of_stock", message: "gone", field: "items[0]") }
    router.get("/crash") { _ in throw CocoaError(.fileNoSuchFile) }
    router.get("/big") { request in
        let size = Int(request.query["size"] ?? "0") ?? 0
        return HTTPResponse(status: .ok, headers: [:], body: [UInt8](repeating: 0x61, count: size))
    }
    router.get("/sleep") { request in
        let ms = Int(request.query["ms"] ?? "0") ?? 0
        Thread.sleep(forTimeInterval: Double(ms) / 1000)
        return .text("slept \(ms)")
    }
    return router
}
