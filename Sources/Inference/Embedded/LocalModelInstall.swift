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
    /// Where the models are (the chat and embedding models, and the other GGUFs the install adds).
    public var modelsDirectory: String { cacheDirectory + "/models" }
    public var chatModelFile: String { modelsDirectory + "/SmolLM2-135M-Instruct.Q4_1.gguf" }
    public var embeddingModelFile: String { modelsDirectory + "/all-MiniLM-L6-v2.F16.gguf" }
    /// Gemma 3 270M (Google's base model, Q4_K_M), a second real model the philosophical loop can
    /// try as a candidate; installed beside the chat model, served under its file name.
    public var gemmaModelFile: String { modelsDirectory + "/gemma-3-270m-q4_k_m.gguf" }
    /// llama.cpp's `llama-export-lora`: merges a LoRA adapter into its base, giving a full GGUF.
    public var exportLoRAExecutable: String { cacheDirectory + "/llama.cpp-\(Self.llamaBuild)/bin/llama-export-lora" }

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

    /// The chat models in the models directory other than the one every persona thinks with, by the
    /// name each is served under (its file name without `.gguf`, in lower case): the embedded
    /// server's candidates for an ascension.
    public var otherChatModels: [(name: String, file: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: modelsDirectory)) ?? []
        return names.filter { $0.hasSuffix(".gguf") && !$0.hasPrefix(".") }.sorted().compactMap { file in
            let path = modelsDirectory + "/" + file
            guard path != chatModelFile, path != embeddingModelFile else { return nil }
            return (Self.servedName(ofFile: path), path)
        }
    }

    /// The name a GGUF file is served under: its file name without `.gguf`, in lower case.
    public static func servedName(ofFile path: String) -> String {
        let file = URL(fileURLWithPath: path).lastPathComponent
        return String(file.dropLast(file.hasSuffix(".gguf") ? 5 : 0)).lowercased()
    }

    /// The size of a served model's file, by the name it is served under.
    public func fileSize(of model: String) -> Int64? {
        let path = switch model {
        case Self.chatModel: chatModelFile
        case Self.embeddingModel: embeddingModelFile
        default: ""
        }
        return Self.fileSize(atPath: path)
    }

    /// The size of a file in bytes; nil when it cannot be read.
    public static func fileSize(atPath path: String) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
    }
}
