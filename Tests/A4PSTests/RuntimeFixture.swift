import A4PS
import Foundation
import Inference
import LivingImage
import ScriptedModelServer
import Testing

/// A fresh image in a temporary directory, a scripted model server on loopback, and the
/// runtime wired to both, for the duration of `body`.
func withRuntime(_ script: Script = Script(), serverUp: Bool = true, repairing: Bool = false,
                 configure: (inout A4PSConfig) -> Void = { _ in },
                 _ body: (Runtime, ScriptedModelServer) async throws -> Void) async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-runtime-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let server = ScriptedModelServer(script: script)
    let url = try await server.start()
    if !serverUp { await server.stop() }
    var config = A4PSConfig(environment: ["OLLAMA_HOST": url])
    config.inference.connectTimeoutSeconds = 1
    config.choosesModelServers = true  // the scripted server, never the embedded model, even when it is down
    configure(&config)
    let limits = RunLimits(memoryBytes: 32 << 20, instructions: 10_000_000, wallClockSeconds: 120)
    let runtime = try await Runtime.open(imagePath: dir.appendingPathComponent("r.image").path, config: config, limits: limits,
                                      repairing: repairing)
    do {
        try await body(runtime, server)
    } catch {
        await runtime.shutdown()
        await server.stop()
        throw error
    }
    await runtime.shutdown()
    await server.stop()
}

/// The chat requests the server received, as JSON (not the loads and unloads, which have no messages).
func chatRequests(_ server: ScriptedModelServer) async throws -> [JSONValue] {
    try await server.requests().filter { $0.path == "/api/chat" }.map { try JSONValue(parsing: $0.body) }
        .filter { $0["messages"]?.arrayValue?.isEmpty == false }
}
