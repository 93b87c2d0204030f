import A4PS
import A4PSMCP
import ArgumentParser

/// `a4ps mcp`: the living image over the Model Context Protocol on standard input and output,
/// for an MCP client (an editor, an agent) that starts it as a subprocess.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the image over the Model Context Protocol on stdio: tools ask, send, memory_search, inspect; resources for protos and runs.",
        discussion: """
            Standard output carries the protocol only; logs (--verbose) go to standard error. \
            It serves until the client closes standard input, or SIGINT / SIGTERM.
            """
    )
    @OptionGroup var options: ImageOptions
    @Option(name: .customLong("recent-runs"), help: "How many recent runs the resource list names.") var recentRuns = 50

    func validate() throws {
        guard recentRuns >= 0 else { throw ValidationError("--recent-runs must not be negative") }
    }

    func run() async throws {
        let output = try ProtocolOutput.reserve()
        let (logger, recentRuns) = (options.logger, recentRuns)
        try await options.withRuntime { runtime in
            try await MCPImageServer(runtime: runtime, recentRuns: recentRuns, logger: logger).run(output: output)
        }
    }
}
