import CheckoutResources
import Foundation
import HTTPServer
import Logging

/// Serves the static demo storefront (`/demo/`, only when `DEMO_ENABLED`) and the admin page
/// (`/admin/`): the pages built into the binary, or those of `WEB_DIR` when it is set (web/README.md
/// "Paths the server must serve").
///
/// Why a middleware and not routes: these are files, not API operations, so they stay out of the
/// router's route list (which must equal `openapi.yaml`'s). Files are read once at start-up from the
/// top level of each folder into memory: requests never touch the file system, so `..`, symlinks
/// swapped at runtime or odd encodings cannot reach anything else. Only GET and HEAD are answered here.
struct StaticFiles: HTTPMiddleware {
    /// One mounted folder: URL prefix (`/demo`) → files by name.
    struct Mount {
        var prefix: String
        var files: [String: [UInt8]]
    }

    let mounts: [Mount]

    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "png": "image/png", "svg": "image/svg+xml", "ico": "image/x-icon", "json": "application/json",
        "txt": "text/plain; charset=utf-8",
    ]

    /// Loads `webDir/demo` (when `demo`) and `webDir/admin`, or with no `webDir` the built-in copies of
    /// `web/demo` and `web/admin`; missing folders are logged and skipped.
    init(webDir: String?, demo: Bool, logger: Logger) {
        var mounts: [Mount] = []
        for (name, enabled) in [("demo", demo), ("admin", true)] where enabled {
            guard let webDir else {
                let files = EmbeddedFiles.folder("web/" + name).filter {
                    Self.isSafeName($0.key) && Self.contentType($0.key) != nil
                }
                mounts.append(Mount(prefix: "/" + name, files: files))
                continue
            }
            let dir = URL(fileURLWithPath: webDir).appendingPathComponent(name)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
                logger.info("static folder not found; /\(name)/ not served", metadata: ["path": .string(dir.path)])
                continue
            }
            var files: [String: [UInt8]] = [:]
            for file in names where Self.isSafeName(file) && Self.contentType(file) != nil {
                var isDir: ObjCBool = false
                let path = dir.appendingPathComponent(file).path
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
                    let data = FileManager.default.contents(atPath: path), data.count <= 4 << 20
                else { continue }
                files[file] = Array(data)
            }
            mounts.append(Mount(prefix: "/" + name, files: files))
        }
        self.mounts = mounts
    }

    static func isSafeName(_ name: String) -> Bool {
        !name.hasPrefix(".") && !name.isEmpty && name.count <= 100
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "."
                    || $0 == "_" || $0 == "-"
            }
    }

    static func contentType(_ name: String) -> String? {
        guard let dot = name.lastIndex(of: ".") else { return nil }
        return contentTypes[name[name.index(after: dot)...].lowercased()]
    }

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        // The raw target's path (the parsed `path` does not keep a trailing slash); file names must be
        // plain (`isSafeName`), so nothing percent-encoded is ever served.
        let queryStart = request.target.firstIndex(of: "?") ?? request.target.endIndex
        let rawPath = String(request.target[..<queryStart])
        guard request.method == .get || request.method == .head,
            let mount = mounts.first(where: { rawPath == $0.prefix || rawPath.hasPrefix($0.prefix + "/") })
        else { return try next(request) }
        let query = String(request.target[queryStart...])
        let rest = String(rawPath.dropFirst(mount.prefix.count))
        switch rest {
        case "":
            return .redirect(to: mount.prefix + "/" + query, status: HTTPStatus(code: 301))
        case "/":
            return try serve(mount, "index.html") ?? next(request)
        case "/checkout/success" where mount.prefix == "/demo":
            return .redirect(to: "/demo/success.html" + query, status: .seeOther)
        case "/checkout/cancel" where mount.prefix == "/demo":
            return .redirect(to: "/demo/cancel.html" + query, status: .seeOther)
        default:
            let name = String(rest.dropFirst())
            guard Self.isSafeName(name), let response = serve(mount, name) else { return try next(request) }
            return response
        }
    }

    private func serve(_ mount: Mount, _ name: String) -> HTTPResponse? {
        guard let body = mount.files[name], let type = Self.contentType(name) else { return nil }
        var headers = HTTPHeaders()
        headers.add("Content-Type", type)
        headers.add("Cache-Control", "no-cache")
        headers.add("X-Content-Type-Options", "nosniff")
        headers.add("Referrer-Policy", "no-referrer")
        if mount.prefix == "/admin" { headers.add("X-Frame-Options", "DENY") }
        return HTTPResponse(status: .ok, headers: headers, body: body)
    }
}
