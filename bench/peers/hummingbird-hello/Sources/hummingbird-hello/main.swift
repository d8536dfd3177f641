// Hummingbird 2 peer for `make bench-http`: GET /plaintext and GET /json, same bodies and
// Content-Type as bench/http-hello. Usage: hummingbird-hello [port]
import Hummingbird

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8081 : 8081
let router = Router()
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
