// HTTPServer hello world for `make bench-http`: GET /plaintext and GET /json, same bodies and
// Content-Type as the Hummingbird peer, answered on the event loop (as Hummingbird answers them); the
// same two under /worker/ go through the worker pool, the way checkoutd's database routes run.
// Usage: http-hello [port] [eventLoops] [workerThreads]
import Foundation
import HTTPServer

let arguments = CommandLine.arguments
var configuration = HTTPServerConfiguration(
    host: "127.0.0.1", port: arguments.count > 1 ? Int(arguments[1]) ?? 8080 : 8080)
if arguments.count > 2, let loops = Int(arguments[2]) { configuration.eventLoops = loops }
if arguments.count > 3, let workers = Int(arguments[3]) { configuration.workerThreads = workers }
configuration.maxConnections = 20000

let plaintext = Array("Hello, World!".utf8)
let json = Array(#"{"message":"Hello, World!"}"#.utf8)
let router = Router()
for (prefix, onEventLoop) in [("", true), ("/worker", false)] {
    router.get(prefix + "/plaintext", onEventLoop: onEventLoop) { _ in
        HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain; charset=utf-8"], body: plaintext)
    }
    router.get(prefix + "/json", onEventLoop: onEventLoop) { _ in
        HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: json)
    }
}
let server = HTTPServer(configuration: configuration, router: router)
try server.start()
print("http-hello listening on \(server.port)")
signal(SIGTERM) { _ in exit(0) }
signal(SIGINT) { _ in exit(0) }
server.waitUntilStopped()
