import ArgumentParser
import Foundation
import LivingImage
import Logging

/// Options every command that opens the image shares.
struct ImageOptions: ParsableArguments {
    @Option(name: .long, help: "The image file (default: $A4PS_IMAGE, else ./a4ps.image). Created from genesis when missing.")
    var image: String?

    @Flag(name: .long, help: "Log what happens (info level) to standard error.")
    var verbose = false

    var imagePath: String {
        image ?? ProcessInfo.processInfo.environment["A4PS_IMAGE"] ?? "a4ps.image"
    }

    /// Opens the image, creating it from genesis the first time.
    func open(create: Bool = true) async throws -> Image {
        var logger = Logger(label: "a4ps")
        logger.logLevel = verbose ? .info : .warning
        return try await Image.open(at: imagePath, create: create, logger: logger)
    }
}

/// Parses a JSON argument given on the command line.
func parseJSONArgument(_ text: String, what: String) throws -> JSONValue {
    do {
        return try JSONValue(parsing: text)
    } catch {
        throw ValidationError("\(what) must be JSON (\(error.description)); quote strings, e.g. '\"text\"'")
    }
}

/// Writes a line straight to standard output (unbuffered), so a reader sees it at once.
func emitLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
