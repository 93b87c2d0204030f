import A4PS
import ArgumentParser
import Foundation
import LivingImage

/// `a4ps goals ...`: the goals the motivator set itself from events — list them, read one, cancel
/// one, pursue the next one now, or run the curiosity review.
struct GoalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "goals",
        abstract: "The motivator's goals (set from events, pursued by `a4ps serve` when you are not waiting).",
        subcommands: [List.self, Show.self, Cancel.self, RunNext.self, Review.self],
        defaultSubcommand: List.self
    )

    static func withGoals<T>(_ options: ImageOptions, writes: Bool = false, _ body: (GoalStore) throws -> T) async throws -> T {
        let image = try await options.open(writes: writes)
        defer { image.close() }
        return try body(try GoalStore(image: image))
    }

    static func line(_ goal: Goal) -> String {
        var line = "\(goal.id)  \(goal.status.rawValue)  \(goal.kind.rawValue)  p\(goal.priority)  \(goal.title)"
        if let reason = goal.reason { line += "  — " + String(reason.prefix(140)) }
        return line
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The goals, newest first.")
        @OptionGroup var options: ImageOptions
        @Option(help: "Only those with this status (queued, running, deferred, done, failed, cancelled).") var status: String?

        func run() async throws {
            let status = try parseChoice(status, as: Goal.Status.self, option: "--status")
            let goals = try await GoalsCommand.withGoals(options) { try $0.goals(status: status) }
            if goals.isEmpty { emitLine("no goals (the motivator sets them from events: dissonance, curiosity, failures)") }
            for goal in goals { emitLine(GoalsCommand.line(goal)) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One goal, as JSON: its origin event, arguments, run, outcome.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The goal's id.") var id: Int64

        func run() async throws {
            let id = id
            guard let goal = try await GoalsCommand.withGoals(options, { try $0.goal(id) }) else {
                throw MotivatorError(.noSuchGoal, "there is no goal \(id) (see `a4ps goals list`)")
            }
            emitLine(goal.json.prettyText)
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a goal (a running one stops at its next step).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The goal's id.") var id: Int64

        func run() async throws {
            let id = id
            let goal = try await GoalsCommand.withGoals(options, writes: true) { try $0.cancel(id) }
            emitLine("cancelled goal \(goal.id): \(goal.title)")
        }
    }

    struct RunNext: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-next", abstract: "Pursue the most urgent goal that may run now, here, to its end.")
        @OptionGroup var options: ImageOptions

        func run() async throws {
            let step = try await options.withRuntime { await $0.motivator.runNext() }
            switch step {
            case .idle: emitLine("no goal may run now (`a4ps goals list` shows what waits, and why)")
            case .disabled: emitLine("the motivator is off ([motivator] enabled = false in config.toml)")
            case .architectBusy: emitLine("an Architect's request is running; goals wait until it ends")
            case .pursued(let goal):
                emitLine(GoalsCommand.line(goal))
                if goal.status == .failed { throw ExitCode(1) }
            }
        }
    }

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the curiosity review now: gaps in memory and experience become curiosity_deficit events (and research goals).")
        @OptionGroup var options: ImageOptions

        func run() async throws {
            let gaps = try await options.withRuntime { try await $0.motivator.reviewCuriosity() }
            if gaps.isEmpty { emitLine("no gaps found") }
            for gap in gaps { emitLine("gap: \(gap["gap"]?.stringValue ?? "?")  (\(gap["evidence"]?["why"]?.stringValue ?? ""))") }
        }
    }
}
