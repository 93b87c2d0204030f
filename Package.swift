// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "a4ps",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "a4ps", targets: ["a4ps"]),
        .executable(name: "a4ps-scripted-server", targets: ["a4ps-scripted-server"]),
        .executable(name: "a4ps-bench", targets: ["a4ps-bench"]),
        .library(name: "LivingImage", targets: ["LivingImage"]),
        .library(name: "Inference", targets: ["Inference"]),
        .library(name: "ScriptedModelServer", targets: ["ScriptedModelServer"]),
        .library(name: "Scrapbook", targets: ["Scrapbook"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
    ],
    targets: [
        // Lua 5.4 from Debian (liblua5.4-dev), and the C shim Swift needs around it.
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        .target(name: "CLuaShim", dependencies: ["CLua"]),

        // JSON values, parsing and serialization, shared by every module.
        .target(name: "JSON", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")]),

        // Threads of their own for blocking and CPU-bound work, off Swift's cooperative pool.
        .target(name: "BlockingWork"),

        // The VM's object memory, Lua methods and the image file.
        .target(
            name: "LivingImage",
            dependencies: [
                "BlockingWork",
                "CLuaShim",
                "JSON",
                .product(name: "GRDB", package: "GRDB.swift"),
                // For the change probe's look at the WAL index, through SQLite's VFS (xShmMap).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "HashTreeCollections", package: "swift-collections"),
            ],
            resources: [.copy("Resources/genesis")]
        ),

        // The model layer: Ollama and OpenAI-compatible backends, the VRAM scheduler.
        .target(
            name: "Inference",
            dependencies: [
                "BlockingWork",
                "JSON",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // A real HTTP model server answering from a script: for tests and for trying a4ps without a GPU.
        .target(
            name: "ScriptedModelServer",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "a4ps-scripted-server",
            dependencies: [
                "ScriptedModelServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Episodic memory: FTS5 + IVF vector index in the image file.
        .target(
            name: "Scrapbook",
            dependencies: [
                "BlockingWork",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Vector math and k-means are ~50× slower unoptimized: optimize them in debug builds too
            // (the README's commands and the tests run debug builds).
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),

        // The HTTP API over an open image (`a4ps serve`).
        .target(
            name: "A4PSServer",
            dependencies: [
                "LivingImage",
                "A4PS",
                "Inference",
                "Scrapbook",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The Entropic UI: HTML, CSS and ES modules served as they are (no build step).
            resources: [.copy("UI"), .copy("openapi.json")]
        ),

        // A running a4ps: the image, the model layer and the scrapbook wired together.
        .target(
            name: "A4PS",
            dependencies: [
                "BlockingWork",
                "LivingImage",
                "Inference",
                "Scrapbook",
                "ToolSandbox",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Python tools in an OS sandbox (bubblewrap or gVisor), for the Tool Forge.
        .target(
            name: "ToolSandbox",
            dependencies: [
                "JSON",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(name: "ToolSandboxTests", dependencies: ["ToolSandbox", "JSON"]),
        .executableTarget(
            name: "sandbox-bench",
            dependencies: ["ToolSandbox", "JSON"],
            path: "Benchmarks/Sources/sandbox-bench"
        ),

        // The living image over the Model Context Protocol on stdio (`a4ps mcp`).
        .target(
            name: "A4PSMCP",
            dependencies: [
                "JSON",
                "LivingImage",
                "A4PS",
                "Scrapbook",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),

        // The command-line interface.
        .executableTarget(
            name: "a4ps",
            dependencies: [
                "LivingImage",
                "A4PSServer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                "A4PS",
                "A4PSMCP",
                "ToolSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Benchmarks (one command: Benchmarks/run).
        .executableTarget(
            name: "a4ps-bench",
            dependencies: ["LivingImage", "A4PS"],
            path: "Benchmarks/Sources/a4ps-bench"
        ),

        .executableTarget(
            name: "inference-bench",
            dependencies: ["Inference", "ScriptedModelServer"],
            path: "Benchmarks/Sources/inference-bench"
        ),
        .executableTarget(
            name: "mind-bench",
            dependencies: ["A4PS", "Inference", "LivingImage", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio")],
            path: "Benchmarks/Sources/mind-bench"
        ),
        .executableTarget(
            name: "motivator-bench",
            dependencies: ["A4PS", "Inference", "LivingImage", "ScriptedModelServer"],
            path: "Benchmarks/Sources/motivator-bench"
        ),
        .executableTarget(
            name: "image-bench",
            dependencies: ["Scrapbook"],
            path: "Benchmarks/Sources/image-bench"
        ),
        .executableTarget(
            name: "scrapbook-bench",
            dependencies: ["Scrapbook"],
            path: "Benchmarks/Sources/scrapbook-bench"
        ),

        // What tests share: waiting on a condition or an event with a deadline that fails.
        .target(name: "TestWaiting", path: "Tests/TestWaiting"),
        // What tests of the HTTP API share: a client that presents the token and decodes JSON.
        .target(
            name: "TestHTTP",
            dependencies: [
                "JSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/TestHTTP"
        ),
        .testTarget(
            name: "LivingImageTests",
            dependencies: ["LivingImage", "TestWaiting", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "A4PSCLITests",
            dependencies: [
                "LivingImage", "Inference", "a4ps", "ScriptedModelServer", "A4PS", "TestWaiting", "TestHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "A4PSTests",
            dependencies: ["A4PS", "ScriptedModelServer", "ToolSandbox", "TestWaiting", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "A4PSServerTests",
            dependencies: [
                "A4PSServer", "TestHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "InferenceTests",
            dependencies: ["Inference", "ScriptedModelServer", "TestWaiting", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "ScrapbookTests",
            dependencies: [
                "Scrapbook", "Inference", "ScriptedModelServer", "BlockingWork",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ]
)
