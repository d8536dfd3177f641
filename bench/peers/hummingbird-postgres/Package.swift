// swift-tools-version:6.0
// Benchmark peer only: GET /api/orders/by-session/:id on Hummingbird 2 + postgres-nio, serving the same
// JSON from the same database with the same statements as checkoutd. Never referenced by the root
// package; the product does not depend on it.
import PackageDescription

let package = Package(
    name: "hummingbird-postgres",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
    ],
    targets: [
        .executableTarget(
            name: "hummingbird-postgres",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ])
    ]
)
