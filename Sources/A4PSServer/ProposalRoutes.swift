import A4PS
import Foundation
import Hummingbird
import LivingImage
import NIOCore

/// The Architect's routes for codex amendment proposals — the same as `a4ps proposals`:
///
/// - `GET /proposals?status=pending` → `{"proposals": [...]}` (newest first)
/// - `GET /proposals/{id}` → the proposal (diff, base codex digest, evidence, reasoning, decision)
/// - `POST /proposals/{id}/approve` body `{"note": "…"}` (optional) → `{"proposal": …, "run": …}`:
///   the codex changes by compare-and-swap with the Architect's authority, and ALFRED's drafting
///   run concludes
/// - `POST /proposals/{id}/reject` body `{"note": "…"}` → the same, the codex unchanged
///
/// Ascension proposals share the list and the ids (`"kind": "ascension"`); approving one swaps
/// the persona's base model, queues its fine-tune and re-curates its past, as `a4ps proposals approve`.
///
/// Behind the server's token like every route but `/health`: the token is the Architect's
/// authority over HTTP. An unknown proposal is 404; a decided, expired or conflicting one 409.
struct ProposalRoutes: Sendable {
    let amendments: CodexAmendments
    let ascension: AscensionWorker?
    let maxBody: Int

    func register(on router: Router<ImageRequestContext>) {
        router.get("/proposals") { request, _ in
            await JSONResponse.respond {
                let status = try request.uri.queryParameters.get("status").map { text in
                    guard let status = CodexProposal.Status(rawValue: text) else {
                        throw CodexProposalError(.invalidDiff, "status is one of \(CodexProposal.Status.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return status
                }
                try await amendments.expire()
                var listed: [(id: Int64, json: JSONValue)] = try amendments.store.proposals(status: status).map { ($0.id, kinded($0.json, "codex")) }
                if let ascension {
                    _ = try await ascension.expire()
                    for record in try ascension.store.records(limit: 1000) {
                        guard let id = record.proposal, status == nil || status == record.proposalStatus() else { continue }
                        listed.append((id, kinded(record.json, "ascension")))
                    }
                }
                return ["proposals": .array(listed.sorted { $0.id > $1.id }.map(\.json))]
            }
        }
        router.get("/proposals/:id") { _, context in
            await JSONResponse.respond {
                let id = try proposalID(context)
                try await amendments.expire()
                if let ascension, let record = try ascension.store.record(proposal: id) { return kinded(record.json, "ascension") }
                guard let proposal = try amendments.store.proposal(id) else {
                    throw CodexProposalError(.noSuchProposal, "there is no codex proposal \(id) (GET /proposals lists them)")
                }
                return proposal.json
            }
        }
        router.post("/proposals/:id/approve") { request, context in
            await JSONResponse.respond {
                let (id, note) = (try proposalID(context), try await note(of: request))
                if let ascension, try ascension.store.record(proposal: id) != nil {
                    _ = try await ascension.expire()
                    return ["ascension": try await ascension.approve(proposal: id, note: note).json]
                }
                return decision(try await amendments.approve(id, note: note))
            }
        }
        router.post("/proposals/:id/reject") { request, context in
            await JSONResponse.respond {
                let (id, note) = (try proposalID(context), try await note(of: request))
                if let ascension, try ascension.store.record(proposal: id) != nil {
                    _ = try await ascension.expire()
                    return ["ascension": try await ascension.reject(proposal: id, note: note).json]
                }
                return decision(try await amendments.reject(id, note: note))
            }
        }
    }

    /// A proposal's JSON with its kind (`codex` or `ascension`).
    private func kinded(_ json: JSONValue, _ kind: String) -> JSONValue {
        guard case .object(var object) = json else { return json }
        object["kind"] = .string(kind)
        return .object(object)
    }

    private func decision(_ decision: CodexAmendments.Decision) -> JSONValue {
        var object: [String: JSONValue] = ["proposal": decision.proposal.json]
        if let run = decision.run { object["run"] = ["id": .string(run.id), "status": .string(run.status.rawValue)] }
        if let error = decision.resumeError { object["run_error"] = .string(error) }
        return .object(object)
    }

    private func proposalID(_ context: ImageRequestContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text) else { throw CodexProposalError(.noSuchProposal, "a proposal id is a number, not \(text)") }
        return id
    }

    /// The decision's note: `{"note": "…"}`, or no body.
    private func note(of request: Request) async throws -> String? {
        let buffer = try await request.body.collect(upTo: maxBody)
        let body = String(decoding: buffer.readableBytesView, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if body.isEmpty { return nil }
        let json = try JSONValue(parsing: body)
        guard json.objectValue != nil, json["note"] == nil || json["note"]?.stringValue != nil else {
            throw CodexProposalError(.invalidDiff, "the body of a decision is {\"note\": \"why\"} (or empty)")
        }
        return json["note"]?.stringValue
    }
}
