import A4PS
import ArgumentParser
import Foundation
import LivingImage

extension RunsCommand {
    /// `a4ps runs prompts ID`: what each persona was sent in a run, call by call.
    struct Prompts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What each persona was sent in a run, call by call (kept in the image for the latest 200 runs).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The run.") var id: String
        @Flag(help: "Print the calls as JSON.") var json = false

        func run() async throws {
            let id = id
            let calls = try await options.withRuntime(writes: false) { try $0.prompts.prompts(of: id) }
            if json {
                emitLine(JSONValue.array(calls.map(\.json)).prettyText)
                return
            }
            if calls.isEmpty { emitLine("no prompts kept for run \(id) (it made no model call, or it is older than the latest 200 runs)") }
            for (index, call) in calls.enumerated() {
                emitLine("── call \(index + 1): \(call.persona) (\(call.model)) at \(ISO8601DateFormatter().string(from: call.at))")
                for message in call.messages {
                    emitLine("[\(message.role.rawValue)]")
                    emitLine(message.content)
                }
            }
        }
    }
}
