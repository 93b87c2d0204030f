import ArgumentParser
import Foundation
import LivingImage

/// `a4ps send PROTO SELECTOR [ARGS]`: send a message and print the answer as JSON.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a message to a proto and print the answer (JSON). Unknown selectors go to doesNotUnderstand."
    )
    @OptionGroup var options: ImageOptions
    @Argument(help: "The receiver, e.g. BRICK.") var proto: String
    @Argument(help: "The selector, e.g. describe.") var selector: String
    @Argument(help: "The message's argument as JSON, e.g. '{\"n\": 2}'.") var args: String?
    @Option(help: "Wall-clock limit in seconds.") var timeout: Double = RunLimits.standard.wallClockSeconds
    @Option(help: "Instruction budget.") var instructions: Int64 = RunLimits.standard.instructions
    @Option(name: .customLong("memory-mb"), help: "Memory the send may allocate, in MiB.") var memoryMB = RunLimits.standard.memoryBytes >> 20

    func run() async throws {
        let arguments = try args.map { try parseJSONArgument($0, what: "ARGS") } ?? .null
        var limits = RunLimits.standard
        limits.wallClockSeconds = timeout
        limits.instructions = instructions
        limits.memoryBytes = memoryMB << 20
        if let claim = options.servingClaim {
            // A server holds the image: the message goes through it (its limits apply).
            let served = try ServedImage(image: options.imagePath, claim: claim)
            let path = "/protos/\(proto.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? proto)/send/"
                + (selector.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? selector)
            emitLine((try await served.call(.POST, path, body: arguments)["answer"] ?? .null).prettyText)
            return
        }
        let answer = try await options.asArchitect("send \(proto) \(selector)") { runtime in
            try await runtime.image.send(proto, selector, arguments, author: .architect, limits: limits)
        }
        emitLine(answer.prettyText)
    }
}
