import ArgumentParser
import Foundation
import Inference

/// `a4ps models pull`: download every model config.toml names, with progress per model.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Manage the personas' models.",
        subcommands: [Pull.self]
    )

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pull every configured model (Ollama), one after another, with progress.")
        @OptionGroup var options: ImageOptions

        func run() async throws {
            let config = try options.loadConfig()
            let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: config.inference.connectTimeoutSeconds)
            var failures = 0
            do {
                var shown: [String: Int] = [:]
                for try await event in ModelPuller(config: config, httpClient: client).pullAll() {
                    let name = "\(event.model) (\(event.roles.joined(separator: ", ")))"
                    switch event.phase {
                    case .started: emitLine("\(name): pulling")
                    case .progress(let progress):
                        guard let fraction = progress.fraction else { continue }
                        let percent = Int(fraction * 100)
                        if percent / 10 > shown[event.model, default: -1] {
                            shown[event.model] = percent / 10
                            emitLine("  \(ProgressBar.render(fraction)) \(percent)%  \(progress.status)")
                        }
                    case .finished: emitLine("\(name): ready")
                    case .skipped(let why): emitLine("\(name): skipped — \(why)")
                    case .failed(let why):
                        failures += 1
                        emitLine("\(name): FAILED — \(why)")
                    }
                }
            } catch {
                try? await client.shutdown()
                throw error
            }
            try? await client.shutdown()
            if failures > 0 { throw ExitCode(1) }
        }
    }
}

/// A text progress bar.
enum ProgressBar {
    static func render(_ fraction: Double, width: Int = 30) -> String {
        let filled = max(0, min(width, Int((fraction * Double(width)).rounded())))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }
}
