// swift-tools-version:6.0
// Benchmark peer only: GET /api/orders/by-session/:id on Vapor 4 + Fluent (Postgres driver), serving
// the same JSON from the same database with the same statements as checkoutd. Never referenced by the
// root package; the product does not depend on it.
import PackageDescription

let package = Package(
    name: "vapor-fluent",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor", from: "4.100.0"),
        .package(url: "https://github.com/vapor/fluent", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver", from: "2.8.0"),
    ],
    targets: [
        .executableTarget(
            name: "vapor-fluent",
            dependencies: [
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
            ])
    ]
)
