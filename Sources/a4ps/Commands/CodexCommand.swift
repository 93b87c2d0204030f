import A4PS
import ArgumentParser
import Foundation
import LivingImage

/// `a4ps codex propose PERSONA [--set KEY=JSON ...]`: the Architect asks for an amendment of a
/// persona's codex — their own diff, or (without one) a draft by ALFRED from the recent dissonant
/// deliberations and `--reason` — recorded as a pending proposal to review and decide later
/// (`a4ps proposals`).
struct CodexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codex",
        abstract: "A persona's codex: propose amendments (approved with `a4ps proposals approve`).",
        subcommands: [Propose.self]
    )

    struct Propose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a pending amendment of PERSONA's codex (`--set principles='[…]'`), or without --set/--remove have ALFRED draft one; nothing changes until approved.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The persona (BRICK, ROBIN, BABS, ALFRED).") var persona: String
        @Option(name: .customLong("set"), help: "A top-level codex key and its new JSON value: KEY=JSON (repeatable).") var sets: [String] = []
        @Option(name: .customLong("remove"), help: "A top-level codex key to remove (repeatable).") var removals: [String] = []
        @Option(help: "Why the amendment is wanted (its reasoning; without --set, the concern ALFRED drafts from).") var reason: String?
        @Option(help: "The evidence behind it, as JSON (runs, transcripts, scores).") var evidence: String?
        @Option(help: "Days the proposal waits for a decision before it expires (default: [philosophical] proposal_lifetime_days, 7).")
        var expiresInDays: Double?

        func validate() throws {
            if let expiresInDays, expiresInDays <= 0 { throw ValidationError("--expires-in-days must be positive") }
        }

        func run() async throws {
            if sets.isEmpty && removals.isEmpty { return try await draftByALFRED() }
            var set: [String: JSONValue] = [:]
            for assignment in sets {
                guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                    throw ValidationError("--set takes KEY=JSON, e.g. --set principles='[\"Be brief.\"]' (got \(assignment))")
                }
                let key = String(assignment[..<equals])
                set[key] = try parseJSONArgument(String(assignment[assignment.index(after: equals)...]), what: "the value of --set \(key)")
            }
            let diff = CodexDiff(set: set, remove: removals)
            let evidence = try evidence.map { try parseJSONArgument($0, what: "--evidence") } ?? .null
            let days = try expiresInDays ?? options.loadConfig().philosophical.proposalLifetimeDays
            let (persona, reasoning, lifetime) = (persona, reason ?? "", days * 86_400)
            let proposal = try await ProposalsCommand.withProposals(options) { store in
                try store.propose(persona: persona, diff: diff, evidence: evidence, reasoning: reasoning, proposer: .architect,
                                  lifetime: lifetime)
            }
            emitLine("codex proposal \(proposal.id) of \(proposal.persona) is pending; review it with `a4ps proposals show \(proposal.id)`, "
                + "then `a4ps proposals approve \(proposal.id)` or `a4ps proposals reject \(proposal.id) --note …`")
        }

        /// ALFRED drafts the amendment with his model (a run of `ALFRED.amendment` that waits for the decision).
        private func draftByALFRED() async throws {
            if evidence != nil { throw ValidationError("--evidence goes with --set/--remove; ALFRED cites the dissonant runs himself") }
            let (persona, concern) = (persona, reason)
            let (run, proposal, refusal) = try await options.withRuntime { runtime in
                let run = try await runtime.amendments.draft(persona: persona, concern: concern)
                let proposal = try runtime.amendments.store.proposals(limit: 50).first { $0.run == run.id }
                let refusal = try await runtime.runner.history(run.id).last?.state["proposal_refused"]?.stringValue
                return (run, proposal, refusal)
            }
            if let proposal {
                emitLine("ALFRED drafted codex proposal \(proposal.id) of \(proposal.persona) (run \(run.id) waits for your decision): "
                    + "review it with `a4ps proposals show \(proposal.id)`, then `a4ps proposals approve \(proposal.id)` "
                    + "or `a4ps proposals reject \(proposal.id) --note …`")
            } else {
                let why = refusal ?? run.error ?? "no proposal"
                FileHandle.standardError.write(Data("a4ps: ALFRED made no proposal (run \(run.id), \(run.status.rawValue)): \(why) — see `a4ps runs show \(run.id)`\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
