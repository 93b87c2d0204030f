import Foundation
import LivingImage

/// `propose_amendment(t)` and `proposal(id)` for ALFRED's Lua methods: record a codex amendment
/// for the Architect to decide, and read a proposal back. There is deliberately no primitive that
/// approves, rejects or writes a codex — only the Architect's `a4ps proposals approve` (or an
/// authenticated API call) applies an amendment.
enum AmendmentPrimitives {
    static func all(proposals: LateBound<CodexProposalStore>, lifetime: TimeInterval) -> [HostPrimitive] {
        [
            // `propose_amendment{persona, set, remove, evidence, reasoning}` → `{id, status}`. Inside a deliberation run
            // the proposal remembers the run, which waits for the decision; the same run proposing again (its node run
            // again after a crash) answers the proposal it already made.
            HostPrimitive(name: "propose_amendment") { arguments, context in
                guard let table = arguments.first, let persona = table["persona"]?.stringValue else {
                    throw PrimitiveError("propose_amendment{persona = NAME, set = {KEY = VALUE}, remove = {KEY}, evidence = …, reasoning = …} needs a persona")
                }
                if context.isTrial { throw PrimitiveError("propose_amendment records nothing in a trial (a forge or debugger check on a clone)") }
                let store = try proposals.get()
                let run = RunContext.current?.run
                if let run, let earlier = try store.proposals(limit: 500).first(where: { $0.run == run }) {
                    return ["id": .int(Int(earlier.id)), "status": .string(earlier.status.rawValue)]
                }
                // An empty Lua table reads as an empty object: `remove = {}` means none.
                var diffJSON: [String: JSONValue] = [:]
                if let set = table["set"], set != .object([:]) { diffJSON["set"] = set }
                if let remove = table["remove"], remove != .object([:]) { diffJSON["remove"] = remove }
                let proposal = try store.propose(
                    persona: persona, diff: try CodexDiff(json: .object(diffJSON)), evidence: table["evidence"] ?? .null,
                    reasoning: table["reasoning"]?.stringValue ?? "", proposer: .alfred, run: run, lifetime: lifetime)
                return ["id": .int(Int(proposal.id)), "status": .string(proposal.status.rawValue)]
            },
            HostPrimitive(name: "proposal", repeatable: true) { arguments, _ in
                guard let id = arguments.first?.intValue else { throw PrimitiveError("proposal(id) needs a proposal id") }
                guard let proposal = try proposals.get().proposal(Int64(id)) else {
                    throw PrimitiveError("there is no codex proposal \(id)")
                }
                return proposal.json
            },
        ]
    }
}
