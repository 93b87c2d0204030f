import A4PSServer
import ArgumentParser
import Foundation
import Logging

/// `a4ps serve`: the image's HTTP API, until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the image over HTTP: a JSON API for protos, methods, slots, messages, history, and an event stream."
    )
    @OptionGroup var options: ImageOptions
    @Option(help: "Address to listen on (loopback by default: the API changes code; do not expose it).") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one).") var port = 8350

    func run() async throws {
        let path = options.imagePath
        let (host, port, logger) = (host, port, options.logger)
        try await options.withRuntime(repairing: true) { runtime in
            try await ImageServer(image: runtime.image, logger: logger).run(host: host, port: port) { bound in
                emitLine("a4ps serving \(path) on http://\(host):\(bound)  (Ctrl-C to stop)")
            }
        }
    }
}
