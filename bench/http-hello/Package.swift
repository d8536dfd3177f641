// swift-tools-version:6.0
// Our side of `make bench-http`: the same hello world as bench/peers/hummingbird-hello, on HTTPServer.
// A separate package (depends on the root by path) so benchmarking never touches the product's build.
import PackageDescription

let package = Package(
    name: "http-hello",
    dependencies: [.package(name: "checkout-server", path: "../..")],
    targets: [
        .executableTarget(
            name: "http-hello",
            dependencies: [.product(name: "HTTPServer", package: "checkout-server")])
    ]
)
