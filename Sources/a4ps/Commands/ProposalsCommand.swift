import A4PS
import ArgumentParser
import Foundation
import LivingImage

/// `a4ps proposals ...`: the codex amendments (and ascensions) waiting for the Architect — list them, read one,
/// approve it (the only way a codex changes by proposal) or reject it with a note.
struct ProposalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposals",
        abstract: "Codex amendment and ascension proposals: only the Architect approves or rejects them.",
        subcommands: [List.self, Show.self, Approve.self, Reject.self],
        defaultSubcommand: List.self
    )

    /// After a decision: the drafting run of an ALFRED proposal waits for it — open the whole
    /// runtime and let that run conclude (it remembers the outcome). The decision stands either way.
    static func concludeDraft(of proposal: CodexProposal, _ options: ImageOptions) async {
        guard let run = proposal.run else { return }
        do {
            let decision = try await options.withRuntime { await $0.amendments.resume(after: proposal) }
            if let error = decision.resumeError {
                emitLine("ALFRED's run \(run) did not conclude: \(error) — `a4ps runs resume \(run) --input '{\"decision\": \"\(proposal.status.rawValue)\"}'` retries it")
            } else if let concluded = decision.run {
                emitLine("ALFRED's run \(run) took note of the decision (\(concluded.status.rawValue))")
            }
        } catch {
            emitLine("ALFRED's run \(run) did not conclude: \(error)")
        }
    }

    /// Opens the image and its proposals (expiring the overdue ones first), runs `body`, closes.
    static func withProposals<T>(_ options: ImageOptions, writes: Bool = true, _ body: (CodexProposalStore) async throws -> T) async throws -> T {
        let image = try await options.open(writes: writes)
        defer { image.close() }
        let store = try CodexProposalStore(image: image)
        try store.expire()
        return try await body(store)
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The proposals, newest first.")
        @OptionGroup var options: ImageOptions
        @Option(help: "Only those with this status (pending, approved, rejected, expired).") var status: String?

        func run() async throws {
            let status = try parseChoice(status, as: CodexProposal.Status.self, option: "--status")
            let proposals = try await ProposalsCommand.withProposals(options, writes: false) { try $0.proposals(status: status) }
            var lines: [(id: Int64, line: String)] = []
            for proposal in proposals {
                let keys = (proposal.diff.set.keys.sorted().map { "set \($0)" } + proposal.diff.remove.map { "remove \($0)" })
                var line = "\(proposal.id)  \(proposal.persona)  \(proposal.status.rawValue)  by \(proposal.proposer.rawValue)  "
                    + keys.joined(separator: ", ")
                if let note = proposal.note { line += "  — " + String(note.prefix(100)) }
                lines.append((proposal.id, line))
            }
            // Ascension proposals share the list and its ids (ProposalsCommand+Ascension.swift).
            lines += try await ProposalsCommand.ascensionLines(options, status: status)
            if lines.isEmpty {
                emitLine("no codex proposals (`a4ps codex propose PERSONA --set KEY=JSON` asks for one) and no ascension proposals "
                    + "(`a4ps ascend evaluate PERSONA MODEL` may lead to one)")
            }
            for entry in lines.sorted(by: { $0.id > $1.id }) { emitLine(entry.line) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One proposal, as JSON: the diff, its base codex, evidence, reasoning, decision.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The proposal's id.") var id: Int64

        func run() async throws {
            let id = id
            if let ascension = try await ProposalsCommand.ascension(id, options) { return emitLine(ascension.json.prettyText) }
            guard let proposal = try await ProposalsCommand.withProposals(options, writes: false, { try $0.proposal(id) }) else {
                throw CodexProposalError(.noSuchProposal, "there is no codex proposal \(id) (see `a4ps proposals list`)")
            }
            emitLine(proposal.json.prettyText)
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a proposal to its persona's codex, as the Architect (refused if the codex changed since it was drafted).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The proposal's id.") var id: Int64
        @Option(help: "Why (kept with the decision and in the change log).") var note: String?

        func run() async throws {
            let (id, note) = (id, note)
            if try await ProposalsCommand.ascension(id, options) != nil { return try await ProposalsCommand.approveAscension(id, note: note, options) }
            let proposal = try await ProposalsCommand.withProposals(options) { try await $0.approve(id, note: note) }
            emitLine("approved codex proposal \(id): \(proposal.persona)'s codex amended"
                + (proposal.changeID.map { " (change #\($0); undo with `a4ps image rollback \(proposal.persona) --to N`, "
                    + "N the change before it in `a4ps image history \(proposal.persona)`)" } ?? ""))
            await ProposalsCommand.concludeDraft(of: proposal, options)
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Refuse a proposal: the codex is unchanged, and the same amendment is not proposed again without new evidence.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The proposal's id.") var id: Int64
        @Option(help: "Why (remembered with the rejection).") var note: String?

        func run() async throws {
            let (id, note) = (id, note)
            if try await ProposalsCommand.ascension(id, options) != nil { return try await ProposalsCommand.rejectAscension(id, note: note, options) }
            let proposal = try await ProposalsCommand.withProposals(options) { try $0.reject(id, note: note) }
            emitLine("rejected codex proposal \(id) of \(proposal.persona); the codex is unchanged")
            await ProposalsCommand.concludeDraft(of: proposal, options)
        }
    }
}
