// swift-tools-version:6.0
import PackageDescription

// Layout and data flow: README.md ("Layout"). ABI -> (Core | Exact); Exact may use Core, never the reverse.
let optimize: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

// PlumbCoreHaswell builds some of PlumbCore's kernel sources (symbolic links) for the "haswell"
// target (AVX2); the ABI calls them only on CPUs that have it (CPlumbCPU's check).
#if arch(x86_64)
let haswell: [SwiftSetting] = [.define("PLUMB_HASWELL"), .unsafeFlags(["-target-cpu", "haswell"])]
#else
let haswell: [SwiftSetting] = [.define("PLUMB_HASWELL")]
#endif

let package = Package(
    name: "plumb",
    products: [
        .library(name: "plumb", type: .dynamic, targets: ["Plumb"]),
        .executable(name: "plumb-cli", targets: ["plumb-cli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The hand-written C header, imported into Swift so @implementation can check it.
        .target(name: "CPlumb", path: "Include", publicHeadersPath: "."),
        .systemLibrary(name: "CNumerics", path: "Sources/CNumerics"),
        .target(name: "PlumbCore", swiftSettings: optimize),
        .target(name: "CPlumbCPU"),
        .target(name: "PlumbCoreHaswell", dependencies: ["PlumbCore"], swiftSettings: optimize + haswell),
        .target(
            name: "PlumbExact",
            dependencies: ["CNumerics", "PlumbCore"],
            swiftSettings: optimize),
        .target(
            name: "Plumb",
            dependencies: ["CPlumb", "CPlumbCPU", "PlumbCore", "PlumbCoreHaswell", "PlumbExact"],
            swiftSettings: optimize),
        .executableTarget(
            name: "plumb-cli",
            dependencies: [
                "CPlumb", "Plumb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "PlumbCoreTests", dependencies: ["PlumbCore"]),
        .testTarget(name: "PlumbExactTests", dependencies: ["PlumbExact", "PlumbCore", "CNumerics"]),
    ],
    // Kernels share raw buffers across worker threads by construction (disjoint rows), which the
    // Swift 6 Sendable checker cannot see; the v5 mode keeps those checks as warnings.
    swiftLanguageModes: [.v5]
)
