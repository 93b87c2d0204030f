import A4PS
import Foundation
import LivingImage
import Testing

/// Codex amendments under the Architect's approval: a proposal is durable in the image, applies
/// only by the Architect's approval to the codex it was drafted against, and no Lua path writes
/// a codex or approves a proposal.
@Suite struct CodexProposalTests {
    static let amendment = CodexDiff(set: ["principles": ["Prove it, then say it."], "motto": "Rigor first."], remove: ["role"])

    /// Runs `body` expecting a ``CodexProposalError`` with `code`; answers it.
    @discardableResult
    func expectProposalError(_ code: CodexProposalError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                             _ body: () async throws -> Void) async -> CodexProposalError? {
        let error = await #expect(throws: CodexProposalError.self, sourceLocation: sourceLocation) { try await body() }
        #expect(error?.code == code, "\(error?.description ?? "no error")", sourceLocation: sourceLocation)
        return error
    }

    func codex(_ runtime: Runtime, _ persona: String = "BRICK") -> JSONValue? {
        runtime.image.memory.proto(named: persona)?.codex
    }

    @Test func approvingAppliesTheDiffAndLogsItAsTheArchitect() async throws {
        try await withRuntime { runtime, _ in
            let store = try CodexProposalStore(image: runtime.image)
            let before = try #require(codex(runtime))
            let proposal = try store.propose(persona: "brick", diff: Self.amendment, evidence: ["runs": ["r1"]],
                                             reasoning: "BRICK's answers lacked proofs.", proposer: .architect)
            #expect(proposal.status == .pending && proposal.persona == "BRICK")
            #expect(codex(runtime) == before)
            // Durable in the image: another store over the same file sees it.
            #expect(try CodexProposalStore(image: runtime.image).proposal(proposal.id)?.reasoning == "BRICK's answers lacked proofs.")

            let approved = try await store.approve(proposal.id, note: "agreed")
            #expect(approved.status == .approved && approved.note == "agreed" && approved.decidedAt != nil)
            let after = try #require(codex(runtime))
            #expect(after["principles"] == ["Prove it, then say it."] && after["motto"] == "Rigor first.")
            #expect(after["role"] == nil && after["system_prompt"] == before["system_prompt"])
            let change = try #require(try runtime.image.history(proto: "BRICK", subject: "codex", limit: 1).first)
            #expect(change.author == .architect && change.kind == "amendment")
            #expect(change.reason.contains("proposal \(proposal.id)") && change.reason.contains("agreed"))
            #expect(approved.changeID == change.id)
            await expectProposalError(.alreadyDecided) { try await store.approve(proposal.id) }
        }
    }

    @Test func theDecisionCommitsWithTheCodexOrNeitherDoes() async throws {
        try await withRuntime { runtime, _ in
            // The swap approval uses: when its alongside write fails, the codex is not changed either.
            struct Refused: Error {}
            let current = try #require(runtime.image.memory.proto(named: "BRICK"))
            var amended = current.clone()
            amended.codex = try Self.amendment.applied(to: current.codex)
            let error = await #expect(throws: ImageError.self) {
                try await runtime.image.memory.swap(amended, expecting: current.version, author: .architect, reason: "x") { _ in throw Refused() }
            }
            #expect(error?.code == .storage)
            #expect(codex(runtime) == current.codex)
            #expect(try runtime.image.history(proto: "BRICK", subject: "codex", limit: 1).first?.author == .genesis)
        }
    }

    @Test func aCodexChangedMeanwhileIsAConflictAndNothingChanges() async throws {
        try await withRuntime { runtime, _ in
            let store = try CodexProposalStore(image: runtime.image)
            let proposal = try store.propose(persona: "BRICK", diff: Self.amendment, proposer: .architect)
            let current = try #require(runtime.image.memory.proto(named: "BRICK"))
            var edited = current.clone()
            edited.codex = ["name": "BRICK", "role": "edited by hand", "system_prompt": "You are BRICK."]
            try await runtime.image.memory.swap(edited, expecting: current.version, author: .architect, reason: "hand edit")
            let error = await expectProposalError(.conflict) { try await store.approve(proposal.id) }
            #expect(error?.description.contains("changed since proposal \(proposal.id)") == true)
            #expect(codex(runtime) == edited.codex)
            #expect(try store.proposal(proposal.id)?.status == .pending)
        }
    }

    @Test func anExpiredProposalIsAnErrorAndChangesNothing() async throws {
        try await withRuntime { runtime, _ in
            let store = try CodexProposalStore(image: runtime.image)
            let before = codex(runtime)
            let proposal = try store.propose(persona: "BRICK", diff: Self.amendment, proposer: .alfred, lifetime: 60)
            let later = proposal.createdAt.addingTimeInterval(120)
            let error = await expectProposalError(.expired) { try await store.approve(proposal.id, now: later) }
            #expect(error?.description.contains("changes nothing") == true)
            #expect(codex(runtime) == before)
            #expect(try store.proposal(proposal.id)?.status == .expired)
            await expectProposalError(.expired) { try store.reject(proposal.id, now: later) }
            await expectProposalError(.expired) { try await store.approve(proposal.id) }

            // The sweep expires overdue proposals the same way.
            let other = try store.propose(persona: "ROBIN", diff: CodexDiff(set: ["motto": "Be kind."]), proposer: .alfred, lifetime: 60)
            #expect(try store.expire(now: later).map(\.id) == [other.id])
            #expect(codex(runtime, "ROBIN")?["motto"] == nil)
        }
    }

    @Test func aRejectedAmendmentIsNotProposedAgainWithoutNewEvidence() async throws {
        try await withRuntime { runtime, _ in
            let store = try CodexProposalStore(image: runtime.image)
            let before = codex(runtime)
            let evidence: JSONValue = ["scores": [2, 2, 1]]
            let proposal = try store.propose(persona: "BRICK", diff: Self.amendment, evidence: evidence, proposer: .alfred)
            await expectProposalError(.duplicate) { _ = try store.propose(persona: "BRICK", diff: Self.amendment, proposer: .alfred) }
            let rejected = try store.reject(proposal.id, note: "BRICK keeps his role")
            #expect(rejected.status == .rejected && rejected.note == "BRICK keeps his role")
            #expect(codex(runtime) == before)

            for again in [JSONValue.null, evidence] {
                let error = await expectProposalError(.alreadyRejected) {
                    _ = try store.propose(persona: "BRICK", diff: Self.amendment, evidence: again, proposer: .alfred)
                }
                #expect(error?.description.contains("BRICK keeps his role") == true)
                #expect(error?.description.contains("new evidence") == true)
            }
            await expectProposalError(.alreadyDecided) { try await store.approve(proposal.id) }
            await expectProposalError(.alreadyDecided) { try store.reject(proposal.id) }
            // New evidence, or another persona, may propose it.
            _ = try store.propose(persona: "BRICK", diff: Self.amendment, evidence: ["scores": [1, 1, 1], "runs": ["r9"]], proposer: .alfred)
            _ = try store.propose(persona: "BABS", diff: Self.amendment, proposer: .alfred)
        }
    }

    @Test func unknownProposalsAndBadDiffsAreClearErrors() async throws {
        try await withRuntime { runtime, _ in
            let store = try CodexProposalStore(image: runtime.image)
            let unknown = await expectProposalError(.noSuchProposal) { try await store.approve(999) }
            #expect(unknown?.description.contains("a4ps proposals list") == true)
            await expectProposalError(.noSuchProposal) { try store.reject(999) }
            await expectProposalError(.noSuchPersona) { _ = try store.propose(persona: "NOBODY", diff: Self.amendment, proposer: .architect) }
            await expectProposalError(.invalidDiff) { _ = try store.propose(persona: "BRICK", diff: CodexDiff(), proposer: .architect) }
            let name = try #require(codex(runtime)?["name"])
            await expectProposalError(.invalidDiff) {
                _ = try store.propose(persona: "BRICK", diff: CodexDiff(set: ["name": name]), proposer: .architect)
            }
            await expectProposalError(.invalidDiff) { _ = try CodexDiff(json: ["set": ["a": 1], "remove": ["a"]]) }
            await expectProposalError(.invalidDiff) { _ = try CodexDiff(json: ["replace": ["a": 1]]) }
            #expect(try CodexDiff(json: Self.amendment.json) == Self.amendment)
            #expect(try store.proposals().isEmpty)
        }
    }

    @Test func noLuaPathWritesACodexOrApprovesAProposal() async throws {
        try await withRuntime { runtime, _ in
            let store = try CodexProposalStore(image: runtime.image)
            let before = codex(runtime)
            let proposal = try store.propose(persona: "BRICK", diff: Self.amendment, proposer: .alfred)

            try await runtime.image.defineMethod("rewrite", on: "BRICK", source: #"self:set("codex", {name = "BRICK", role = "anything"}) return 1"#)
            let vetoed = await #expect(throws: ImageError.self) { try await runtime.image.send("BRICK", "rewrite") }
            #expect(vetoed?.code == .vetoed && vetoed?.veto?.rule == "protected_slots")

            // No primitive approves, proposes or amends. A method cannot list its sandbox (its metatable is
            // protected), so it probes by name: the globals, the namespaces, self.
            try await runtime.image.defineMethod("powers", on: "BRICK", source: """
                local found = {}
                local suspects = {"approve", "approve_proposal", "approveProposal", "propose", "amend", "amend_codex", "decide",
                                  "set_codex", "codex", "proposals", "governor", "architect"}
                local spaces = {"memory", "forge", "python", "run", "image", "codex", "proposals", "governor", "alfred", "json"}
                for _, suspect in ipairs(suspects) do
                  if _ENV[suspect] ~= nil then found[#found + 1] = suspect end
                  if self[suspect] ~= nil then found[#found + 1] = "self." .. suspect end
                  for _, space in ipairs(spaces) do
                    if type(_ENV[space]) == "table" and _ENV[space][suspect] ~= nil then found[#found + 1] = space .. "." .. suspect end
                  end
                end
                -- The probe is real: it finds the primitives a method does have.
                if _ENV.think == nil or type(_ENV.memory) ~= "table" or self.set == nil then found[#found + 1] = "probe sees nothing" end
                return table.concat(found, ",")
                """)
            let powers = try await runtime.image.send("BRICK", "powers")
            #expect(powers == "", "a method can reach: \(powers.jsonText)")
            try await runtime.image.defineMethod("approveIt", on: "BRICK", source: "return approve(\(proposal.id))")
            await #expect(throws: ImageError.self) { try await runtime.image.send("BRICK", "approveIt") }
            try await runtime.image.defineMethod("approveBySelf", on: "BRICK", source: "return self:approve(\(proposal.id))")
            await #expect(throws: ImageError.self) { try await runtime.image.send("BRICK", "approveBySelf") }

            #expect(codex(runtime) == before)
            #expect(try store.proposal(proposal.id)?.status == .pending)
            #expect(try runtime.image.history(proto: "BRICK", subject: "codex").allSatisfy { $0.author == .genesis || $0.author == .architect })
            // Only the Swift API the CLI calls approves, with the Architect's authority.
            let approved = try await store.approve(proposal.id)
            #expect(approved.status == .approved)
            #expect(try runtime.image.history(proto: "BRICK", subject: "codex", limit: 1).first?.author == .architect)
        }
    }
}
