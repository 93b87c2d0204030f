import ArgumentParser
import Foundation
import Logging
import ScriptedModelServer

/// Runs the scripted model server: Ollama's API and the OpenAI-compatible API on loopback, answering from a script.
@main
struct ScriptedServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "a4ps-scripted-server",
        abstract: "A scripted model server speaking Ollama's and the OpenAI-compatible API (answers are labelled as scripted).",
        discussion: """
            Without --script it knows the seeds' five models (mistral:7b-instruct, phi3:mini-4k-instruct,
            llama3.1:8b-instruct, gemma2:9b-instruct, nomic-embed-text) and answers every prompt with a reply
            that says it is scripted. Every response carries the header X-A4PS-Scripted: true.
            Inspect it with GET /_scripted/requests and GET /_scripted/stats.
            """)

    @Option(name: .long, help: "The script file (JSON; see the ScriptedModelServer documentation).")
    var script: String?

    @Option(name: .long, help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The port to listen on (0 picks a free one).")
    var port = 11434

    @Flag(name: .long, help: "Print the built-in script as JSON and exit.")
    var printDefaultScript = false

    func run() async throws {
        let loaded: Script
        if let script {
            do {
                loaded = try Script.load(path: script)
            } catch {
                throw ValidationError("\(error)")
            }
        } else {
            loaded = Script()
        }
        if printDefaultScript {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(loaded), as: UTF8.self))
            return
        }
        var logger = Logger(label: "a4ps-scripted-server")
        logger.logLevel = .warning
        let server = ScriptedModelServer(script: loaded, logger: logger)
        try await server.run(host: host, port: port) { url in
            // FileHandle writes unbuffered, so a parent process reading the pipe sees the URL at once.
            FileHandle.standardOutput.write(Data("a4ps-scripted-server listening on \(url) (scripted answers, not a model)\n".utf8))
        }
    }
}
