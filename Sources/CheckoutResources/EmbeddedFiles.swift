import Foundation

/// The files `checkoutd` carries inside its binary: the `sql/` migrations, `openapi.yaml` and the static
/// pages of `web/admin` and `web/demo`, plus the version and the commit it was built from.
///
/// `Plugins/EmbedResources` generates the data at build time from the repository (never from the working
/// directory at run time), so a binary copied anywhere serves a complete product. Paths are the
/// repository-relative ones (`sql/001_init.sql`, `web/admin/index.html`); bytes are exactly the file's.
public enum EmbeddedFiles {
    /// The product version (the repository's `VERSION` file), e.g. `0.1.0`.
    public static var version: String { generatedVersion }

    /// The commit the binary was built from: a short git hash, with `-dirty` when the tree had uncommitted
    /// changes, `CHECKOUT_BUILD_COMMIT` when the build set it, or `unknown` for a build outside git.
    public static var commit: String { generatedCommit }

    /// Every embedded file by repository-relative path, decoded once.
    public static let files: [String: [UInt8]] = {
        var result: [String: [UInt8]] = [:]
        for entry in generatedEntries {
            guard let data = Data(base64Encoded: entry.base64) else {
                preconditionFailure("embedded file \(entry.path) is not valid base64")
            }
            result[entry.path] = [UInt8](data)
        }
        return result
    }()

    /// The files directly inside `folder` (e.g. `sql`, `web/admin`), by file name.
    public static func folder(_ folder: String) -> [String: [UInt8]] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        var result: [String: [UInt8]] = [:]
        for (path, bytes) in files where path.hasPrefix(prefix) {
            let name = path.dropFirst(prefix.count)
            if !name.contains("/") { result[String(name)] = bytes }
        }
        return result
    }
}
