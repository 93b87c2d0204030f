import A4PS
import ArgumentParser
import Foundation
import Inference
import LivingImage
import Logging

/// Options every command that opens the image shares.
struct ImageOptions: ParsableArguments {
    @Option(name: .long, help: "The image file (default: $A4PS_IMAGE, else [system] image_path of config.toml, else ./a4ps.image). Created from genesis when missing.")
    var image: String?

    @Option(name: .long, help: "The configuration file (default: $A4PS_CONFIG, else ./config.toml; missing = documented defaults).")
    var config: String?

    @Flag(name: .long, help: "Log what happens (info level) to standard error.")
    var verbose = false

    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["A4PS_CONFIG"] ?? "config.toml"
    }

    func loadConfig() throws -> A4PSConfig {
        try A4PSConfig.load(path: configPath)
    }

    var logger: Logger {
        var logger = Logger(label: "a4ps")
        logger.logLevel = verbose ? .info : .warning
        return logger
    }

    /// Runs `body` with the whole system open (image, models, scrapbook), then shuts it down;
    /// `repairing` lets the live debugger repair failing methods on its own (long-running commands).
    /// A command that `writes` (or thinks) refuses while `a4ps serve` holds the image (``ServerClaim``).
    func withRuntime<T>(create: Bool = true, repairing: Bool = false, writes: Bool = true,
                        _ body: (Runtime) async throws -> T) async throws -> T {
        if writes { try refuseIfServed() }
        let runtime = try await Runtime.open(imagePath: imagePath, config: loadConfig(), create: create, repairing: repairing,
                                             logger: logger)
        do {
            let result = try await body(runtime)
            await runtime.shutdown()
            return result
        } catch {
            await runtime.shutdown()
            throw error
        }
    }

    /// ``withRuntime(create:repairing:_:)`` for an Architect's request (`what`: "ask", "send BRICK x"):
    /// the motivator's goals keep out of its way while it runs, in every process on this image.
    func asArchitect<T>(_ what: String, _ body: (Runtime) async throws -> T) async throws -> T {
        try await withRuntime { runtime in try await runtime.serving(what) { try await body(runtime) } }
    }

    var imagePath: String {
        // A malformed config.toml is reported by the commands that need it, not here.
        image ?? ProcessInfo.processInfo.environment["A4PS_IMAGE"] ?? (try? loadConfig())?.system.imagePath ?? "a4ps.image"
    }

    /// Opens the image, creating it from genesis the first time (refused while a server holds it,
    /// unless the command only reads).
    func open(create: Bool = true, writes: Bool = true) async throws -> Image {
        if writes { try refuseIfServed() }
        return try await Image.open(at: imagePath, create: create, logger: logger)
    }

    /// The server holding the image, if one runs.
    var servingClaim: ServerClaim? { ServerClaim.live(forImage: imagePath) }

    /// Throws the clear refusal when a live `a4ps serve` holds the image.
    func refuseIfServed() throws {
        if let claim = servingClaim { throw ServedImageRefusal(image: imagePath, claim: claim) }
    }
}

/// Parses an option whose value is one of an enumeration's raw values (`--status pending`); nil stays nil.
func parseChoice<Choice: RawRepresentable & CaseIterable>(_ text: String?, as: Choice.Type, option: String) throws -> Choice?
    where Choice.RawValue == String {
    try text.map { text in
        guard let choice = Choice(rawValue: text) else {
            throw ValidationError("\(option) is one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
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
