// swift-tools-version:6.0
// checkout-server: Stripe Checkout → paid, fulfilled orders. No SwiftNIO, no server framework:
// HTTP is our own (HTTPServer), Postgres is libpq (CLibPQ), HMAC is OpenSSL (COpenSSL).
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "checkout-server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "checkoutd", targets: ["checkoutd"]),
        .executable(name: "stripe-sim", targets: ["stripe-sim"]),
        // Exported so bench/http-hello (a separate package) can depend on the HTTP core by path.
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
    ],
    dependencies: [
        // Exact versions: Package.resolved stays out of git, so these lines are what pins a build.
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        // System libraries (Debian: libpq-dev, libssl-dev).
        .systemLibrary(
            name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // libcurl (Debian: libcurl4-openssl-dev), for SMTP submission with STARTTLS/TLS and AUTH.
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // epoll/eventfd/accept4 (not exported by Swift's Glibc module), for HTTPServer's event loop.
        .systemLibrary(name: "CEpoll"),

        // Infrastructure: none knows anything of payments; only Stripe builds on another (BlockingHTTP).
        .target(name: "HTTPServer", dependencies: ["CEpoll"], swiftSettings: strict),
        .target(name: "Postgres", dependencies: ["CLibPQ"], swiftSettings: strict),
        .target(name: "Stripe", dependencies: ["COpenSSL", "BlockingHTTP"], swiftSettings: strict),
        // Customer e-mail: one message per call through libcurl.
        .target(name: "SMTP", dependencies: ["CCurl"], swiftSettings: strict),
        // The one blocking URLSession client (Stripe API calls, simulator deliveries, outbound webhooks).
        .target(name: "BlockingHTTP", swiftSettings: strict),

        // Migrations, openapi.yaml, web pages, version and commit, generated into Swift at build time.
        .target(name: "CheckoutResources", swiftSettings: strict, plugins: ["EmbedResources"]),
        .plugin(name: "EmbedResources", capability: .buildTool()),

        // The domain and its HTTP face.
        .target(
            name: "Checkout",
            dependencies: [
                "Postgres", "Stripe", "BlockingHTTP", "SMTP", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "CheckoutAPI",
            dependencies: [
                "Checkout", "CheckoutResources", "HTTPServer", "Stripe", "Postgres", "SMTP",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "checkoutd",
            dependencies: [
                "CheckoutAPI", "Checkout", "Postgres", "Stripe", "HTTPServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // The offline Stripe stand-in.
        .target(
            name: "StripeSimulator", dependencies: ["HTTPServer", "Stripe", "BlockingHTTP"], exclude: ["README.md"],
            swiftSettings: strict),
        .executableTarget(
            name: "stripe-sim",
            dependencies: [
                "StripeSimulator", "HTTPServer", "Stripe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        // Shared test helpers (a real Postgres per test, the simulator on port 0, an HTTP client).
        .target(
            name: "TestSupport", dependencies: ["Postgres", "HTTPServer"], path: "Tests/TestSupport",
            swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "StripeTests", dependencies: ["Stripe", "StripeSimulator", "HTTPServer", "TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "StripeSimulatorTests", dependencies: ["StripeSimulator", "Stripe", "HTTPServer", "TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "CheckoutTests",
            dependencies: ["Checkout", "Postgres", "Stripe", "StripeSimulator", "TestSupport", "SMTP"],
            swiftSettings: strict),
        .testTarget(
            name: "CheckoutAPITests",
            dependencies: [
                "CheckoutAPI", "Checkout", "CheckoutResources", "StripeSimulator", "Stripe", "HTTPServer", "Postgres",
                "TestSupport", "SMTP",
            ],
            swiftSettings: strict),
    ]
)
