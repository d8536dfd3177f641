// swift-tools-version:6.0
// Benchmark peer only: a Hummingbird 2 hello world serving the same routes and headers as
// bench/http-hello. Never referenced by the root package; the product does not depend on it.
import PackageDescription

let package = Package(
    name: "hummingbird-hello",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0")
    ],
    targets: [
        .executableTarget(
            name: "hummingbird-hello",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")])
    ]
)
