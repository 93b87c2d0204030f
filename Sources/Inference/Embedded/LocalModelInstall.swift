import Foundation

/// Where `Scripts/install-local-model` put the embedded mind: llama.cpp's `llama-server` and the
/// two small real models it serves on the CPU (SmolLM2-135M-Instruct to think, all-MiniLM-L6-v2
/// to embed).
///
/// The cache directory is `$A4PS_CACHE_DIR`, else `$XDG_CACHE_HOME/a4ps`, else `~/.cache/a4ps`.
public struct LocalModelInstall: Sendable, Hashable {
    /// The llama.cpp build the install script builds.
    public static let llamaBuild = "b11434"
    /// The name the chat model is served under (every persona thinks with it).
    public static let chatModel = "smollm2-135m-instruct"
    /// The name the embedding model is served under.
    public static let embeddingModel = "all-minilm-l6-v2"

    public var cacheDirectory: String
    public var serverExecutable: String { cacheDirectory + "/llama.cpp-\(Self.llamaBuild)/bin/llama-server" }
    public var chatModelFile: String { cacheDirectory + "/models/SmolLM2-135M-Instruct.Q4_1.gguf" }
    public var embeddingModelFile: String { cacheDirectory + "/models/all-MiniLM-L6-v2.F16.gguf" }

    public init(cacheDirectory: String) {
        self.cacheDirectory = cacheDirectory
    }

    /// The install of this machine, by the environment's cache directory.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> LocalModelInstall {
        if let explicit = environment["A4PS_CACHE_DIR"], !explicit.isEmpty {
            return LocalModelInstall(cacheDirectory: explicit)
        }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache"
        return LocalModelInstall(cacheDirectory: cache + "/a4ps")
    }

    /// The files that are missing, by what they are; empty when everything is installed.
    public var missing: [String] {
        var missing: [String] = []
        if !FileManager.default.isExecutableFile(atPath: serverExecutable) { missing.append("llama-server (\(serverExecutable))") }
        if !FileManager.default.fileExists(atPath: chatModelFile) { missing.append("SmolLM2-135M-Instruct (\(chatModelFile))") }
        if !FileManager.default.fileExists(atPath: embeddingModelFile) { missing.append("all-MiniLM-L6-v2 (\(embeddingModelFile))") }
        return missing
    }

    public var isComplete: Bool { missing.isEmpty }

    /// The size of a served model's file, by the name it is served under.
    public func fileSize(of model: String) -> Int64? {
        let path = switch model {
        case Self.chatModel: chatModelFile
        case Self.embeddingModel: embeddingModelFile
        default: ""
        }
        return (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
    }
}
