import Foundation
import LivingImage
import ScriptedModelServer
import TestHTTP
import Testing

/// A running `a4ps serve` finds, by vector search, memories another process (`a4ps memory add`)
/// stored after it had loaded its vector index.
@Suite struct CrossProcessMemoryTests {
    @Test func aRunningServerFindsByVectorAMemoryTheCLIAdded() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-xmemory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let models = ScriptedModelServer(script: Script())
        let url = try await models.start()
        do {
            try await check(in: dir, modelServer: url)
        } catch {
            await models.stop()
            throw error
        }
        await models.stop()
    }

    private func check(in dir: URL, modelServer url: String) async throws {
        try CLIProcess.ollamaOnlyConfig.write(to: dir.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        let path = dir.appendingPathComponent("shared.image").path
        let env = ["OLLAMA_HOST": url, "A4PS_CONFIG": dir.appendingPathComponent("config.toml").path]
        func remember(_ text: String) async throws {
            let added = try await CLIProcess.run(["memory", "add", "--image", path, text], in: dir, environment: env)
            #expect(added.status == 0 && added.stdout.contains("remembered"), "\(added.stderr)")
        }
        try await remember("Lua tables start at one.")

        let server = try ServeProcess(arguments: ["serve", "--image", path, "--port", "0"], in: dir, environment: env)
        defer { server.kill() }
        let port = try #require(await server.port(), "a4ps serve did not start: \(server.stderr)")
        let token = try String(contentsOfFile: path + ".token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let api = APIClient(base: "http://127.0.0.1:\(port)", token: token)
        let recall = "local hits = memory.search(args.q, {mode = 'vector', limit = 1}) return hits[1] and hits[1].text"
        #expect(try await api.call(.PUT, "/protos/BABS/methods/recall", body: recall).status == 200)
        func recalled(_ query: String) async throws -> JSONValue? {
            let (status, answer, _) = try await api.call(.POST, "/protos/BABS/send/recall", body: (["q": .string(query)] as JSONValue).jsonText)
            #expect(status == 200, "\(answer)")
            return answer["answer"]
        }
        // The server has searched its index once: it is loaded, with the first memory only.
        #expect(try await recalled("Lua tables start at one") == "Lua tables start at one.")

        try await remember("The lighthouse keeper paints seagulls at dusk.")
        #expect(try await recalled("lighthouse keeper paints seagulls") == "The lighthouse keeper paints seagulls at dusk.")
        #expect(try await recalled("Lua tables start at one") == "Lua tables start at one.")

        kill(server.pid, SIGTERM)
        #expect(try await CLIProcess.offload { server.waitForExit(timeout: 60) } == 0, "\(server.stderr)")
    }
}
