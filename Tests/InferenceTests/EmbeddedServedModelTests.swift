import Foundation
@testable import Inference
import Testing

/// Base models beside the chat model on the embedded server, as its preset says them — without
/// starting it: a registered GGUF gets a section of its own (a candidate, or the base a persona
/// ascended to), an adapter registered on it names it as its model, and what is not a GGUF or takes
/// another's name is refused with the reason.
@Suite struct EmbeddedServedModelTests {
    func withServer(_ body: (EmbeddedModelServer, URL) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-served-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("models"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await body(EmbeddedModelServer(install: LocalModelInstall(cacheDirectory: dir.path)), dir)
    }

    func gguf(_ url: URL) throws -> String {
        try Data("GGUF".utf8 + [3, 0, 0, 0]).write(to: url)
        return url.resolvingSymlinksInPath().path
    }

    @Test func aServedModelAndAnAdapterOnItAreSectionsOfThePreset() async throws {
        try await withServer { server, dir in
            let candidate = try gguf(dir.appendingPathComponent("models/gemma-3-270m-q4_k_m.gguf"))
            let adapter = try gguf(dir.appendingPathComponent("brick-golden-7.gguf"))
            try await server.register(model: candidate, as: "gemma-3-270m-q4_k_m")
            try await server.register(adapter: adapter, as: "brick-golden-7", base: candidate)
            let preset = await server.preset()
            #expect(preset.contains("[gemma-3-270m-q4_k_m]\nmodel = \(candidate)\n"), "\(preset)")
            #expect(preset.contains("[brick-golden-7]\nmodel = \(candidate)\nlora = \(adapter)\n"), "\(preset)")
            #expect(server.servesModel("gemma-3-270m-q4_k_m") && server.file(servedAs: "gemma-3-270m-q4_k_m") == candidate)
            #expect(server.file(servedAs: "brick-golden-7") == candidate)
            #expect(server.file(servedAs: LocalModelInstall.chatModel) == server.install.chatModelFile)
            #expect(server.file(servedAs: "phi3:mini") == nil)
            // The install lists the models directory's other chat models by the names they are served under.
            #expect(server.install.otherChatModels.map(\.name) == ["gemma-3-270m-q4_k_m"])

            try await server.unregister(model: "gemma-3-270m-q4_k_m")
            #expect(await !server.preset().contains("[gemma-3-270m-q4_k_m]"))
            #expect(!server.servesModel("gemma-3-270m-q4_k_m"))
        }
    }

    @Test func whatCannotBeServedIsRefusedWithTheReason() async throws {
        try await withServer { server, dir in
            let text = dir.appendingPathComponent("notes.gguf")
            try "not a model".write(to: text, atomically: true, encoding: .utf8)
            let model = try gguf(dir.appendingPathComponent("x.gguf"))
            let other = try gguf(dir.appendingPathComponent("y.gguf"))
            func code(_ work: () async throws -> Void) async -> EmbeddedServerError.Code? {
                do { try await work(); return nil } catch let error as EmbeddedServerError { return error.code } catch { return nil }
            }
            #expect(await code { try await server.register(model: text.path, as: "notes") } == .invalidModel)
            #expect(await code { try await server.register(model: dir.appendingPathComponent("gone.gguf").path, as: "gone") } == .invalidModel)
            #expect(await code { try await server.register(model: model, as: LocalModelInstall.chatModel) } == .invalidModel)
            #expect(await code { try await server.register(model: model, as: "bad name!") } == .invalidModel)
            try await server.register(model: model, as: "x")
            try await server.register(model: model, as: "x")   // the same again: nothing to do
            #expect(await code { try await server.register(model: other, as: "x") } == .modelNameTaken)
            #expect(await code { try await server.register(adapter: other, as: "x") } == .adapterNameTaken)
            #expect(await code { try await server.unregister(model: "nobody") } == .unknownModel)
        }
    }
}
