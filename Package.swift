// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "swift-autograd",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Autograd", targets: ["Autograd"]),
        .executable(name: "autograd", targets: ["autograd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.0"),
    ],
    targets: [
        // System libraries: OpenBLAS (CBLAS interface) and LAPACKE, from Debian/Ubuntu packages.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CLAPACKE",
            pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev"])]
        ),
        // zlib, for gzip-compressed IDX files (MNIST) and deflated .npz entries.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Vectorised transcendental kernels in C with per-CPU function versions (no build flags needed).
        .target(name: "CKernels"),
        .target(
            name: "Autograd",
            dependencies: [
                "COpenBLAS", "CLAPACKE", "CKernels", "CZlib",
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        // The seeds' examples (HIPS autograd / torch-autograd), shared by the CLI and the tests.
        .target(name: "AutogradExamples", dependencies: ["Autograd"]),
        .executableTarget(
            name: "autograd",
            dependencies: [
                "Autograd", "AutogradExamples",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "AutogradExamples", "CKernels", "autograd"],
                    exclude: ["References", "Fixtures"]),  // reference scripts and I/O fixture files (read via #filePath)
    ],
    swiftLanguageModes: [.v6]
)
