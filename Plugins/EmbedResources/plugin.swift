import Foundation
import PackagePlugin

/// Generates `EmbeddedFiles+Generated.swift` for the target it is applied to: the repository's `sql/`
/// migrations, `openapi.yaml`, the pages under `web/admin`, `web/demo` and `web/common`, `VERSION` and the commit being
/// built, so `checkoutd` carries them instead of looking in its working directory.
///
/// A prebuild command (it runs on every build) because the commit changes without any input file
/// changing; the script only rewrites its output when the content differs, so an unchanged tree
/// recompiles nothing. It runs `/bin/sh`, a system tool, as prebuild commands must.
@main
struct EmbedResources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let root = context.package.directoryURL
        return [
            .prebuildCommand(
                displayName: "Embedding migrations, openapi.yaml and web pages into \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [
                    root.appending(path: "scripts/embed-resources.sh").path, root.path,
                    output.appending(path: "EmbeddedFiles+Generated.swift").path,
                ],
                outputFilesDirectory: output)
        ]
    }
}
