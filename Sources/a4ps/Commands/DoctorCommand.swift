import ArgumentParser
import Foundation
import Inference

/// `a4ps doctor`: is everything a4ps needs there, and what to do about what is not.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check each configured model server, each persona's model, and the VRAM budget; say what to do."
    )
    @OptionGroup var options: ImageOptions

    func run() async throws {
        let config = try options.loadConfig()
        let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: config.inference.connectTimeoutSeconds)
        let report = await Doctor(config: config, httpClient: client).run()
        try? await client.shutdown()
        emitLine(report.rendered())
        if !report.isHealthy { throw ExitCode(1) }
    }
}
