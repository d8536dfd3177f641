import CheckoutAPI
import Foundation
import Logging
import Postgres
import Testing
import TestSupport

/// The operations (`METHOD /path/:param`) listed under `paths:` of an OpenAPI YAML file.
///
/// A deliberately small reader for the layout of our own `openapi.yaml` (two-space indents, one path
/// per line, methods one level below), so the route comparison needs no YAML library.
func openAPIOperations(_ yaml: String) -> Set<String> {
    var result: Set<String> = []
    var inPaths = false
    var currentPath: String?
    let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
    for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("paths:") {
            inPaths = true
            continue
        }
        guard inPaths else { continue }
        if let first = line.first, first != " ", first != "#" { break }  // next top-level key
        if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
            let raw = line.dropFirst(2).dropLast()
            currentPath = raw.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                segment.hasPrefix("{") && segment.hasSuffix("}")
                    ? ":" + segment.dropFirst().dropLast() : String(segment)
            }.joined(separator: "/")
        } else if let path = currentPath, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
            let method = String(line.dropFirst(4).dropLast())
            if methods.contains(method) { result.insert("\(method.uppercased()) \(path)") }
        }
    }
    return result
}

/// Runs `python3 -m openapi_spec_validator` on a file; returns (exit status, output).
func runSpecValidator(_ path: String) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-m", "openapi_spec_validator", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite("openapi.yaml")
struct OpenAPISpecTests {
    static var specPath: String { TestEnvironment.repoRoot.appendingPathComponent("openapi.yaml").path }

    @Test("is a valid OpenAPI 3.0 document (PyPI openapi-spec-validator)")
    func validates() throws {
        let (status, output) = try runSpecValidator(Self.specPath)
        #expect(status == 0, "openapi-spec-validator failed (pip install openapi-spec-validator if missing): \(output)")
    }

    @Test("the validator really rejects a broken document")
    func validatorRejects() throws {
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID()).yaml")
        try "openapi: 3.0.3\ninfo: {title: x}\npaths:\n  /x:\n    get:\n      responses: {}\n".write(
            to: broken, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: broken) }
        let (status, _) = try runSpecValidator(broken.path)
        #expect(status != 0)
    }

    @Test("lists every route of docs/API.md §2–§3 and the operations endpoints")
    func listsContractRoutes() throws {
        let yaml = try String(contentsOfFile: Self.specPath, encoding: .utf8)
        let expected: Set<String> = [
            "POST /api/payments/create-checkout-session", "POST /api/payments/webhook",
            "GET /api/orders/by-session/:sessionId", "GET /api/orders/:orderId",
            "POST /api/orders/:orderId/retry-session",
            "GET /api/products", "POST /api/admin/orders/:id/cancel",
            "GET /api/admin/orders", "GET /api/admin/orders/:id", "POST /api/admin/orders/:id/retry-session",
            "POST /api/admin/orders/:id/mark-paid", "POST /api/admin/orders/:id/sync",
            "POST /api/admin/orders/:id/retry-fulfillment", "POST /api/admin/orders/:id/refunds",
            "GET /api/admin/products", "PUT /api/admin/products/:id",
            "GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.yaml",
        ]
        #expect(openAPIOperations(yaml) == expected)
    }

    @Test("the routes the server registers and the operations the spec lists are the same set")
    func routesMatchRouter() throws {
        let yaml = try String(contentsOfFile: Self.specPath, encoding: .utf8)
        // Building the App opens no connection (the pool connects lazily), so no database is needed here.
        var config = AppConfig(databaseURL: "postgres://127.0.0.1:1/none", stripeSecretKey: "sk_test_routes")
        config.openAPIPath = Self.specPath
        let pool = ConnectionPool(url: config.databaseURL.reveal(), maxConnections: 1)
        defer { pool.close() }
        let logger = Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })
        let app = App(
            config: config, pool: pool, services: AppServices(config: config, pool: pool, logger: logger),
            logger: logger)
        let registered = Set(app.routeList)
        #expect(registered.count == app.routeList.count, "a route is registered twice")
        #expect(registered == openAPIOperations(yaml))
        #expect(registered.subtracting(openAPIOperations(yaml)).isEmpty, "undocumented routes")
        #expect(openAPIOperations(yaml).subtracting(registered).isEmpty, "documented but not served")
    }

    @Test("every error code the API maps is documented in the spec's ErrorResponse")
    func errorCodesDocumented() throws {
        let yaml = try String(contentsOfFile: Self.specPath, encoding: .utf8)
        let codes = Set(ErrorMapperTests.table.map(\.0.code)).union([
            "signature_invalid", "unsupported_media_type", "payload_too_large", "rate_limited", "unauthorized",
            "admin_disabled", "not_found", "method_not_allowed", "internal_error", "server_busy", "openapi_unavailable",
            "stripe_busy",
        ])
        for code in codes.sorted() {
            #expect(yaml.contains("                - \(code)\n"), "\(code) missing from ErrorResponse.code enum")
            // not_found / method_not_allowed belong to no route: they answer paths and methods that do not exist.
            if code == "not_found" || code == "method_not_allowed" { continue }
            #expect(
                yaml.range(of: #"x-error-codes: \[[^\]]*\b"# + code + #"\b"#, options: .regularExpression) != nil,
                "\(code) is not listed for any route")
        }
    }
}
