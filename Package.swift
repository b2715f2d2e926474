// swift-tools-version:6.0
import PackageDescription

// Layout and data flow: README.md ("Layout"). ABI -> (Core | Exact); Exact may use Core, never the reverse.
let optimize: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

// PlumbCoreHaswell and PlumbCoreAVX512 build some of PlumbCore's kernel sources (symbolic links)
// for wider instruction sets: "haswell" (AVX2, FMA), and "haswell" with AVX-512 F/CD/BW/DQ/VL
// (x86-64-v4) preferring 512-bit vectors; the ABI calls them only on CPUs that have them
// (CPlumbCPU's checks). Swift takes the AVX-512 features and the vector width from clang's options.
#if arch(x86_64)
let haswell: [SwiftSetting] = [.define("PLUMB_DISPATCHED"), .unsafeFlags(["-target-cpu", "haswell"])]
let avx512: [SwiftSetting] = [
    .define("PLUMB_DISPATCHED"),
    .unsafeFlags(["-target-cpu", "haswell"] + ["-mavx512f", "-mavx512cd", "-mavx512bw", "-mavx512dq", "-mavx512vl",
                                                "-mprefer-vector-width=512"].flatMap { ["-Xcc", $0] }),
]
#else
let haswell: [SwiftSetting] = [.define("PLUMB_DISPATCHED")]
let avx512: [SwiftSetting] = [.define("PLUMB_DISPATCHED")]
#endif

// libplumb.so exports the C API alone (Include/plumb.exports: plumb_*), in every build.
let exportsList = String(#filePath.dropLast("Package.swift".count)) + "Include/plumb.exports"
let exportsOnlyTheCAPI: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--version-script=" + exportsList], .when(platforms: [.linux])),
]

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
        .target(name: "CPlumbCPU"),
        .target(name: "PlumbCore", dependencies: ["CPlumbCPU"], swiftSettings: optimize),
        .target(name: "PlumbCoreHaswell", dependencies: ["PlumbCore", "CPlumbCPU"], swiftSettings: optimize + haswell),
        .target(name: "PlumbCoreAVX512", dependencies: ["PlumbCore", "CPlumbCPU"], swiftSettings: optimize + avx512),
        .target(
            name: "PlumbExact",
            dependencies: ["CNumerics", "PlumbCore"],
            swiftSettings: optimize),
        .target(
            name: "Plumb",
            dependencies: ["CPlumb", "CPlumbCPU", "PlumbCore", "PlumbCoreHaswell", "PlumbCoreAVX512", "PlumbExact"],
            swiftSettings: optimize,
            linkerSettings: exportsOnlyTheCAPI),
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
