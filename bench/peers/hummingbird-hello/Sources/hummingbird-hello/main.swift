// Hummingbird 2 peer for `make bench-http`: GET /plaintext and GET /json with the same bodies and
// headers as bench/http-hello (Content-Type, Content-Length, Date and an X-Request-Id like the one
// HTTPServer puts on every response). Usage: hummingbird-hello [port]
import Hummingbird

/// Adds a random 20-hex-digit `X-Request-Id`, as HTTPServer does for every response.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response = try await next(request, context)
        let a = UInt64.random(in: .min ... .max)
        let b = UInt16.random(in: .min ... .max)
        let hex = String(a, radix: 16)
        let hex2 = String(b, radix: 16)
        let id =
            String(repeating: "0", count: 16 - hex.count) + hex + String(repeating: "0", count: 4 - hex2.count) + hex2
        response.headers[.init("X-Request-Id")!] = id
        return response
    }
}

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8081 : 8081
let router = Router()
router.add(middleware: RequestIDMiddleware())
let plaintext = ByteBuffer(string: "Hello, World!")
let json = ByteBuffer(string: #"{"message":"Hello, World!"}"#)
router.get("/plaintext") { _, _ in
    Response(
        status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: plaintext))
}
router.get("/json") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
