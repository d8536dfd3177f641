import Foundation
import HTTPServer
import Testing
import TestSupport

@Suite("HTTPServer over real sockets")
struct ServerIntegrationTests {
    @Test func answersARoutedRequest() throws {
        try withServer { server in
            let response = try TestHTTPClient.request(port: server.port, method: "GET", path: "/hello")
            #expect(response.status == 200)
            #expect(response.text == "Hello, World!")
            #expect(response.header("Content-Length") == "13")
            #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(response.header("Date")?.hasSuffix(" GMT") == true)
            #expect(response.header("Connection") == "close")
            #expect(response.header("X-Request-Id").map(RequestID.isSane) == true)
        }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        try withServer { server in
            let connection = try RawHTTPConnection(port: server.port)
            for i in 0..<5 {
                try connection.send("GET /items/\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try connection.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "item \(i)")
                #expect(response.header("Connection") == nil)
            }
        }
    }

    @Test func postBodyArrivesAsRawBytes() throws {
        try withServer { server in
            let body: [UInt8] = [0, 1, 2, 0xFF, 0xFE, 13, 10, 13, 10, 0x7B]
            let response = try TestHTTPClient.request(port: server.port, method: "POST", path: "/echo", body: body)
            #expect(response.status == 200)
            #expect(response.body == body)
        }
    }

    @Test func echoesSaneRequestIDAndReplacesInsaneOne() throws {
        try withServer { server in
            let sane = try TestHTTPClient.request(
                port: server.port, method: "GET", path: "/hello", headers: [("X-Request-Id", "abc-123_X.y")])
            #expect(sane.header("X-Request-Id") == "abc-123_X.y")
            let insane = try TestHTTPClient.request(
                port: server.port, method: "GET", path: "/hello", headers: [("X-Request-Id", "bad id;<script>")])
            #expect(insane.header("X-Request-Id") != "bad id;<script>")
            #expect(insane.header("X-Request-Id").map(RequestID.isSane) == true)
            let long = String(repeating: "a", count: 129)
            let tooLong = try TestHTTPClient.request(
                port: server.port, method: "GET", path: "/hello", headers: [("X-Request-Id", long)])
            #expect(tooLong.header("X-Request-Id") != long)
        }
    }

    @Test func notFoundAndMethodNotAllowedUseTheErrorShape() throws {
        try withServer { server in
            let missing = try TestHTTPClient.request(
                port: server.port, method: "GET", path: "/nope", headers: [("X-Request-Id", "rid-1")])
            #expect(missing.status == 404)
            let json = try missing.json()
            #expect((json["error"] as? [String: Any])?["code"] as? String == "not_found")
            #expect(json["requestId"] as? String == "rid-1")
            let wrongMethod = try TestHTTPClient.request(port: server.port, method: "DELETE", path: "/hello")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("Allow") == "GET, HEAD")
            #expect(((try wrongMethod.json())["error"] as? [String: Any])?["code"] as? String == "method_not_allowed")
        }
    }

    @Test func headRunsGetWithoutBody() throws {
        try withServer { server in
            let response = try TestHTTPClient.request(port: server.port, method: "HEAD", path: "/hello")
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == "13")
            #expect(response.body.isEmpty)
            // The connection must carry no stray body bytes: a following request parses cleanly.
            let connection = try RawHTTPConnection(port: server.port)
            try connection.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /items/7 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try connection.readResponse(headRequest: true).status == 200)
            #expect(try connection.readResponse().text == "item 7")
        }
    }

    @Test func handlerErrorsRenderTheJSONShape() throws {
        try withServer { server in
            let response = try TestHTTPClient.request(
                port: server.port, method: "GET", path: "/fail", headers: [("X-Request-Id", "r-9")])
            #expect(response.status == 409)
            #expect(
                response.text
                    == #"{"error":{"code":"out_of_stock","message":"gone","field":"items[0]"},"requestId":"r-9"}"#)
            let crash = try TestHTTPClient.request(port: server.port, method: "GET", path: "/crash")
            #expect(crash.status == 500)
            #expect(((try crash.json())["error"] as? [String: Any])?["code"] as? String == "internal_error")
        }
    }

    @Test func queryIsPercentDecoded() throws {
        try withServer { server in
            let response = try TestHTTPClient.request(
                port: server.port, method: "GET", path: "/query?a=1&b=x%20y+z&a=2&c=%E2%82%AC")
            let json = try response.json()
            #expect(json["a"] as? String == "1")
            #expect(json["b"] as? String == "x y z")
            #expect(json["c"] as? String == "€")
        }
    }

    @Test func deeplyNestedJSONIsA400NotACrash() throws {
        struct Anything: Decodable {}
        let router = Router()
        router.post("/decode") { request in
            _ = try request.decodeJSON([Anything].self)
            return .text("decoded")
        }
        try withServer(handler: router.handler()) { server in
            let deep = [UInt8](repeating: UInt8(ascii: "["), count: 500_000)
            let response = try TestHTTPClient.request(port: server.port, method: "POST", path: "/decode", body: deep)
            #expect(response.status == 400)
        }
    }
}
