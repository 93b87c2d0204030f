import Foundation
import Inference

/// How to start a trainer: an executable and its first arguments; the job spec's path is added
/// as the last argument. The shipped trainers run with the Python of Scripts/install-trainer's
/// venv (``cpuLoRA(install:trainersDirectory:)``); any other command that speaks the same
/// protocol (Scripts/trainers/trainer_protocol.py) can stand in for them (`[strategic] trainer`).
public struct TrainerCommand: Sendable, Hashable {
    public var executable: String
    public var arguments: [String]
    /// Added to (or replacing in) a4ps's own environment.
    public var environment: [String: String]

    public init(executable: String, arguments: [String] = [], environment: [String: String] = [:]) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }

    /// The CPU trainer (PyTorch + transformers + PEFT + TRL, then llama.cpp's converter) in the
    /// venv Scripts/install-trainer made in the install's cache directory.
    public static func cpuLoRA(install: LocalModelInstall, trainersDirectory: String) -> TrainerCommand {
        TrainerCommand(executable: install.cacheDirectory + "/venv-trainer/bin/python",
                       arguments: [trainersDirectory + "/cpu_lora.py"],
                       environment: ["A4PS_CACHE_DIR": install.cacheDirectory])
    }

    /// The Unsloth trainer, for a GPU host with Unsloth installed in `python`'s environment
    /// (untested on the CPU-only machines this project is built on).
    public static func unslothLoRA(python: String, trainersDirectory: String, install: LocalModelInstall) -> TrainerCommand {
        TrainerCommand(executable: python, arguments: [trainersDirectory + "/unsloth_lora.py"],
                       environment: ["A4PS_CACHE_DIR": install.cacheDirectory])
    }

    /// The trainer `[strategic] trainer` names: `cpu` (the default), `unsloth` (with
    /// `trainer_python`), or the path of an executable that speaks the trainers' protocol.
    public static func configured(_ settings: StrategicSettings, install: LocalModelInstall = .locate(),
                                  trainersDirectory: String = TrainerCommand.trainersDirectory()) -> TrainerCommand {
        switch settings.trainer {
        case "cpu": return .cpuLoRA(install: install, trainersDirectory: trainersDirectory)
        case "unsloth": return .unslothLoRA(python: settings.trainerPython ?? "python3", trainersDirectory: trainersDirectory, install: install)
        default: return TrainerCommand(executable: settings.trainer, environment: ["A4PS_CACHE_DIR": install.cacheDirectory])
        }
    }

    /// What is missing to run it, by what to do about it; nil when it can run.
    public var missing: String? {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            return executable.hasSuffix("/venv-trainer/bin/python")
                ? "the CPU trainer is not installed (\(executable) is missing): run Scripts/install-trainer (Scripts/install-deps runs it)"
                : "the trainer \(executable) is missing or not executable"
        }
        for script in arguments where script.hasSuffix(".py") && !FileManager.default.fileExists(atPath: script) {
            return "the trainer script \(script) is missing: set A4PS_TRAINERS_DIR to the folder with cpu_lora.py (Scripts/trainers)"
        }
        return nil
    }

    /// Scripts/trainers of this a4ps: `$A4PS_TRAINERS_DIR`, else the one beside (above) the running
    /// executable (`.build/debug/a4ps` in a checkout), else the one of the source tree it was built from.
    public static func trainersDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["A4PS_TRAINERS_DIR"], !explicit.isEmpty { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? "/").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent("Scripts/trainers")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("cpu_lora.py").path) { return candidate.path }
            directory.deleteLastPathComponent()
        }
        // Sources/A4PS/Strategic/TrainerCommand.swift → the checkout's root.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scripts/trainers").path
    }
}
