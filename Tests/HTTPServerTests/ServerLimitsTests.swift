import Foundation
import Synchronization
import Testing
import TestSupport

@testable import HTTPServer

/// A one-shot gate a handler can wait on (bounded) and a test can open.
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let entered = Atomic<Int>(0)

    func enterAndWait() {
        entered.wrappingAdd(1, ordering: .relaxed)
        _ = semaphore.wait(timeout: .now() + 10)
    }

    var enteredCount: Int { entered.load(ordering: .relaxed) }

    func open(_ count: Int = 64) { for _ in 0..<count { semaphore.signal() } }
}

/// A thread-safe boolean set once.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

private func errorCode(_ response: TestHTTPResponse) -> String? {
    ((try? response.json())?["error"] as? [String: Any])?["code"] as? String
}

@Suite("HTTPServer limits, timeouts and framing over real sockets")
struct ServerLimitsTests {
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        try withServer { server in
            let connection = try RawHTTPConnection(port: server.port)
            // The first takes longest: answering out of order would show.
            try connection.send(
                "GET /sleep?ms=150 HTTP/1.1\r\nHost: x\r\n\r\nGET /sleep?ms=0 HTTP/1.1\r\nHost: x\r\n\r\nGET /items/3 HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            #expect(try connection.readResponse().text == "slept 150")
            #expect(try connection.readResponse().text == "slept 0")
            #expect(try connection.readResponse().text == "item 3")
        }
    }

    @Test func chunkedRequestBody() throws {
        try withServer { server in
            let connection = try RawHTTPConnection(port: server.port)
            try connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;a=b\r\nWiki\r\n")
            try connection.send("5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n")
            let response = try connection.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "Wikipedia")
        }
    }

    @Test func expectContinueOverTheWire() throws {
        try withServer { server in
            let connection = try RawHTTPConnection(port: server.port)
            try connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            #expect(try connection.readResponse(returnInterim: true).status == 100)
            try connection.send("data")
            #expect(try connection.readResponse().text == "data")
        }
    }

    @Test(arguments: [
        (
            "header too large",
            "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n", 431
        ),
        (
            "too many headers",
            "GET /hello HTTP/1.1\r\nHost: x\r\n" + (0..<101).map { "X-\($0): v\r\n" }.joined() + "\r\n", 431
        ),
        ("declared body too large", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", 413),
        (
            "chunked body too large",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n", 413
        ),
        (
            "smuggling CL+TE",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400
        ),
        ("obs-fold", "GET /hello HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400),
        ("bare LF", "GET /hello HTTP/1.1\nHost: x\n\n", 400),
        ("HTTP/2 preface-ish", "GET /hello HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ])
    func limitAndFramingErrorsAnswerAndClose(name: String, request: String, status: Int) throws {
        try withServer { server in
            let connection = try RawHTTPConnection(port: server.port)
            try connection.send(request)
            let response = try connection.readResponse()
            #expect(response.status == status, "\(name)")
            #expect(response.header("Connection") == "close")
            #expect(response.header("Content-Type") == "application/json")
            #expect(errorCode(response) != nil)
            #expect((try response.json())["requestId"] as? String == response.header("X-Request-Id"))
            _ = try connection.readUntilClosed(within: .seconds(3))
        }
    }

    @Test func slowlorisIsCutOffAtTheHeaderTimeout() throws {
        try withServer(configure: { $0.headerTimeout = .milliseconds(300) }) { server in
            let connection = try RawHTTPConnection(port: server.port)
            let start = ContinuousClock.now
            try connection.send("GET /hello HTTP/1.1\r\n")
            // Keep trickling header bytes; the deadline must not move.
            for i in 0..<3 {
                Thread.sleep(forTimeInterval: 0.05)
                try? connection.send("X-\(i): v\r\n")
            }
            let bytes = try connection.readUntilClosed(within: .seconds(3))
            let elapsed = ContinuousClock.now - start
            #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
            #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(2), "closed after \(elapsed)")
        }
    }

    @Test func slowBodyIsCutOffAtTheBodyTimeout() throws {
        try withServer(configure: { $0.bodyTimeout = .milliseconds(300) }) { server in
            let connection = try RawHTTPConnection(port: server.port)
            try connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
            let bytes = try connection.readUntilClosed(within: .seconds(3))
            #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
        }
    }

    @Test func idleKeepAliveConnectionIsClosedSilently() throws {
        try withServer(configure: { $0.idleTimeout = .milliseconds(300) }) { server in
            let connection = try RawHTTPConnection(port: server.port)
            try connection.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try connection.readResponse().status == 200)
            let start = ContinuousClock.now
            let rest = try connection.readUntilClosed(within: .seconds(3))
            #expect(rest.isEmpty)
            #expect(ContinuousClock.now - start >= .milliseconds(250))
            // A connection that never sends anything is closed the same way.
            let silent = try RawHTTPConnection(port: server.port)
            #expect(try silent.readUntilClosed(within: .seconds(3)).isEmpty)
        }
    }

    @Test func maxConnectionsRefusesCleanlyAndRecovers() throws {
        try withServer(configure: { $0.maxConnections = 3 }) { server in
            var open: [RawHTTPConnection] = []
            for _ in 0..<3 {
                let connection = try RawHTTPConnection(port: server.port)
                try connection.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try connection.readResponse().status == 200)
                open.append(connection)
            }
            let refused = try RawHTTPConnection(port: server.port)
            let response = try refused.readResponse()
            #expect(response.status == 503)
            #expect(errorCode(response) == "too_many_connections")
            _ = try refused.readUntilClosed(within: .seconds(3))
            // The others still work, and after one leaves a new client gets in.
            try open[0].send("GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try open[0].readResponse().text == "item 1")
            open.removeLast().close()
            #expect(eventually { server.stats.openConnections <= 2 })
            let response2 = try TestHTTPClient.request(port: server.port, method: "GET", path: "/hello")
            #expect(response2.status == 200)
        }
    }

    @Test func fullWorkerQueueAnswers503Quickly() throws {
        let gate = Gate()
        let router = Router()
        router.get("/block") { _ in
            gate.enterAndWait()
            return .text("done")
        }
        try withServer(
            configure: {
                $0.workerThreads = 1
                $0.workerQueueLimit = 1
            }, handler: router.handler()
        ) { server in
            let running = try RawHTTPConnection(port: server.port)
            try running.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(eventually { gate.enteredCount == 1 })
            let queued = try RawHTTPConnection(port: server.port)
            try queued.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(eventually { server.stats.queuedRequests == 1 })
            let start = ContinuousClock.now
            let busy = try TestHTTPClient.request(port: server.port, method: "GET", path: "/block")
            #expect(ContinuousClock.now - start < .seconds(2))
            #expect(busy.status == 503)
            #expect(errorCode(busy) == "server_busy")
            #expect(busy.header("Retry-After") == "1")
            gate.open()
            #expect(try running.readResponse().text == "done")
            #expect(try queued.readResponse().text == "done")
        }
    }

    @Test func clientThatNeverReadsCannotGrowServerMemory() throws {
        let maxWriteBuffer = 256 * 1024
        try withServer(configure: { $0.maxWriteBuffer = maxWriteBuffer }) { server in
            let hog = try RawHTTPConnection(port: server.port, receiveBuffer: 4096)
            // 40 pipelined requests for 256 KiB each = 10 MiB of responses the client never reads.
            let request = "GET /big?size=262144 HTTP/1.1\r\nHost: x\r\n\r\n"
            try hog.send(String(repeating: request, count: 40))
            // The server stalls: queued output stops growing at about one response past the limit.
            var peak = 0
            _ = eventually(timeout: .seconds(1)) {
                peak = max(peak, server.stats.queuedOutputBytes)
                return false
            }
            #expect(peak > 0)
            #expect(peak <= maxWriteBuffer + 262_144 + 4096, "queued \(peak) bytes")
            // Everyone else is still served promptly.
            let start = ContinuousClock.now
            let other = try TestHTTPClient.request(port: server.port, method: "GET", path: "/hello")
            #expect(other.status == 200)
            #expect(ContinuousClock.now - start < .seconds(1))
            // When the client finally reads, every response arrives, complete and in order.
            for _ in 0..<40 {
                let response = try hog.readResponse()
                #expect(response.status == 200)
                #expect(response.body.count == 262_144)
            }
            #expect(eventually { server.stats.queuedOutputBytes == 0 })
        }
    }

    @Test func idleLoopsSleepAfterASlowlyReadResponse() throws {
        try withServer(configure: { $0.eventLoops = 1 }) { server in
            // A response larger than the socket buffers forces EPOLLOUT; once it is drained the loop must
            // stop polling for writability, or it spins.
            let connection = try RawHTTPConnection(port: server.port, receiveBuffer: 4096)
            try connection.send("GET /big?size=4000000 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(eventually { server.stats.queuedOutputBytes > 0 })
            #expect(try connection.readResponse().body.count == 4_000_000)
            #expect(eventually { server.stats.queuedOutputBytes == 0 })
            Thread.sleep(forTimeInterval: 0.05)
            let before = server.eventLoopIterations
            Thread.sleep(forTimeInterval: 0.3)
            let wakeups = server.eventLoopIterations - before
            #expect(wakeups < 30, "\(wakeups) wake-ups in 300 ms of idleness")
        }
    }

    @Test func shutdownLetsARequestInFlightComplete() throws {
        let gate = Gate()
        let router = Router()
        router.get("/slow") { _ in
            gate.enterAndWait()
            return .text("finished")
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoops = 1
        configuration.workerThreads = 2
        let server = HTTPServer(configuration: configuration, handler: router.handler())
        try server.start()
        let port = server.port
        let connection = try RawHTTPConnection(port: port)
        try connection.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(eventually { gate.enteredCount == 1 })
        let idle = try RawHTTPConnection(port: port)
        let stopped = Flag()
        let shutdownThread = Thread {
            server.shutdown()
            stopped.set()
        }
        shutdownThread.start()
        // Idle connections are closed at once; the in-flight one waits for its handler.
        #expect(try idle.readUntilClosed(within: .seconds(3)).isEmpty)
        #expect(!stopped.isSet)
        gate.open()
        let response = try connection.readResponse()
        #expect(response.text == "finished")
        #expect(response.header("Connection") == "close")
        #expect(eventually { stopped.isSet })
        server.waitUntilStopped()
        #expect(throws: (any Error).self) { try RawHTTPConnection(port: port) }
    }

    @Test func shutdownIsBoundedByTheGracePeriodWhenAHandlerIsStuck() throws {
        let gate = Gate()
        let router = Router()
        router.get("/stuck") { _ in
            gate.enterAndWait()
            return .text("late")
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoops = 1
        configuration.shutdownGrace = .milliseconds(300)
        let server = HTTPServer(configuration: configuration, handler: router.handler())
        try server.start()
        let connection = try RawHTTPConnection(port: server.port)
        try connection.send("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(eventually { gate.enteredCount == 1 })
        let start = ContinuousClock.now
        server.shutdown()
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(3), "shutdown took \(elapsed)")
        // The connection was closed without an answer.
        #expect(throws: (any Error).self) { try connection.readResponse() }
        gate.open()
    }

    @Test func startFailsCleanlyWhenThePortIsTaken() throws {
        try withServer { first in
            let second = HTTPServer(
                configuration: HTTPServerConfiguration(host: "127.0.0.1", port: first.port),
                handler: testRouter().handler())
            #expect(throws: HTTPServerError.self) { try second.start() }
            second.shutdown()  // a never-started server: a no-op that returns
            let response = try TestHTTPClient.request(port: first.port, method: "GET", path: "/hello")
            #expect(response.status == 200)
        }
    }

    @Test func ipv6Loopback() throws {
        var configuration = HTTPServerConfiguration(host: "::1", port: 0)
        configuration.eventLoops = 1
        let server = HTTPServer(configuration: configuration, handler: testRouter().handler())
        do {
            try server.start()
        } catch {
            return  // no IPv6 on this machine: nothing to test
        }
        defer { server.shutdown() }
        #expect(server.port > 0)
    }
}
