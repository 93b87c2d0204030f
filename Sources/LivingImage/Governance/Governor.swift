import Foundation
import GRDB

/// The one check every self-modification passes — a person's edit, a method's slot writes, a
/// forge install, a debugger fix, a rollback, a codex amendment's approval, the strategic and
/// philosophical loops' rebinding of a persona's model, and the starts of forges and fine-tunes:
/// who may write what, by the rules of ALFRED's codex (``GovernanceRules``).
///
/// The object memory consults it inside its commit, so no path around it exists. A vetoed change
/// commits nothing; its refusal is an entry in the image's audit trail (``Image/vetoes(proto:limit:)``,
/// committed although the change was not), an event on the bus (``ImageEvent/governorVeto(_:)``)
/// and an ``ImageError`` with code `vetoed` that names the rule and the right path.
///
/// - The codex and the protected slots change only by a person (author `architect`), never
///   through a method's `self:set`; the strategic and philosophical loops may rebind `model` of
///   the personas the codex lets them, to a known model of an allowed family that fits the VRAM
///   budget (facts from ``ModelFactsResolver``).
/// - Whoever changes a codex, the Architect included, keeps each persona's `system_prompt`
///   naming the persona.
/// - `tests` and `python_tools` change only through the forge and debugger installs (authors
///   `forge`, `debugger`), which verify them on a clone first; a person restores them by rollback.
/// - Methods and Python tools the system writes (forge, debugger) are held to the codex's size
///   limit and forbidden primitives; the forge grows methods only on `forge_allowed` protos.
/// - Budgets: forges per hour, fine-tune jobs per day (``Governor+Budgets``).
public struct Governor: Sendable {
    /// A refusal: the rule broken, where, and the evidence.
    public struct Veto: Sendable, Hashable, CustomStringConvertible {
        /// The codex rule (`protected_slots`, `verified_slots`, `max_method_bytes`, `forbidden_primitives`,
        /// `forbidden_python`, `forge_allowed`, `finetune_allowed`, `finetunes_per_day`, `ascension_allowed`,
        /// `allowed_model_families`, `model_fits_vram_budget`, `model_known`, `system_prompt_names_persona`,
        /// `forge_attempts_per_hour`).
        public var rule: String
        public var proto: String
        /// The part refused: `slot:NAME`, `method:SELECTOR`, `codex`, `finetune`, `forge`, `model`.
        public var subject: String
        public var author: ChangeAuthor
        public var description: String
        /// What the governor saw: the path, the value attempted, the facts measured against the rule.
        public var evidence: JSONValue

        public init(rule: String, proto: String, subject: String, author: ChangeAuthor, description: String, evidence: JSONValue = .null) {
            self.rule = rule
            self.proto = proto
            self.subject = subject
            self.author = author
            self.description = description
            self.evidence = evidence
        }
    }

    /// How a change reaches the object memory, which decides what it may touch.
    public enum Path: String, Sendable, Hashable {
        /// A method's slot writes, committed when its send returns (Lua: `self:set`).
        case method
        /// A clone swapped in by Swift code: a person's edit (CLI, API), a codex amendment's
        /// approval, a forge install, a debugger fix, a loop's rebinding.
        case swap
        /// A proto restored as it was after an earlier change.
        case rollback
        /// A new proto.
        case create
    }

    /// A change the governor is asked to admit.
    public struct Proposal: Sendable {
        public var proto: String
        public var path: Path
        public var author: ChangeAuthor
        public var deltas: [ChangeRecord.Delta]

        public init(proto: String, path: Path, author: ChangeAuthor, deltas: [ChangeRecord.Delta]) {
            self.proto = proto
            self.path = path
            self.author = author
            self.deltas = deltas
        }
    }

    let events: EventBus
    let store: ImageStore

    init(events: EventBus, store: ImageStore) {
        self.events = events
        self.store = store
    }

    /// Every veto among `proposals` (empty when all may commit); `models` answers the facts about
    /// the models they bind personas to (a binding without an answer is an unknown model).
    static func vetoes(_ proposals: [Proposal], rules: GovernanceRules, models: [ModelQuery: ModelLookup]) -> [Veto] {
        proposals.flatMap { vetoes($0, rules: rules, models: models) }
    }

    // MARK: Refusing

    /// Writes `vetoes` to the audit trail in the transaction of `db` (which commits without the change).
    func record(_ vetoes: [Veto], at date: Date, in db: Database) throws {
        for veto in vetoes { try store.recordVeto(veto, at: date, in: db) }
    }

    /// Publishes `vetoes` on the event bus and answers the error for the caller: the first veto's.
    func published(_ vetoes: [Veto]) -> ImageError {
        for veto in vetoes { events.publish(.governorVeto(veto)) }
        return ImageError(vetoes)
    }

    /// Records `vetoes` in the audit trail in a transaction of their own, publishes them and
    /// answers the error for the caller. A refusal stands even when the audit trail cannot be
    /// written; the error then says so.
    func refuse(_ vetoes: [Veto], at date: Date = Date()) -> ImageError {
        var refusal = published(vetoes)
        do {
            try store.writing { db in try record(vetoes, at: date, in: db) }
        } catch {
            refusal = ImageError(.vetoed, refusal.description + " (this refusal could not be written to the audit trail: \(error))")
            refusal.veto = vetoes.first
        }
        return refusal
    }

    // MARK: Rules on changes

    /// Every rule `proposal` breaks (empty when it may commit); publishes nothing. `models`
    /// answers the facts about the models it binds personas to (see ``modelQueries(_:)``).
    public static func vetoes(_ proposal: Proposal, rules: GovernanceRules, models: [ModelQuery: ModelLookup] = [:]) -> [Veto] {
        var vetoes: [Veto] = []
        let (proto, author) = (proposal.proto, proposal.author)
        func veto(_ rule: String, _ subject: String, _ message: String, _ evidence: [String: JSONValue] = [:]) {
            var evidence = evidence
            evidence["path"] = .string(proposal.path.rawValue)
            vetoes.append(Veto(rule: rule, proto: proto, subject: subject, author: author, description: message, evidence: .object(evidence)))
        }
        let person = author == .architect || author == .genesis
        let verifier = author == .forge || author == .debugger
        for delta in proposal.deltas {
            let slot: String? = delta.subject.hasPrefix("slot:") ? String(delta.subject.dropFirst(5)) : nil
            let attempted = ["attempted": Self.excerpt(delta.after)]
            if isLoopRebinding(delta, in: proposal) {
                // The strategic loop rebinds a persona to a model it validated, the philosophical loop to a base model it
                // ascended to — only personas the codex lets each of them rebind, and only to models the codex admits.
                let (rule, allowed, loop) = author == .strategic
                    ? ("finetune_allowed", rules.finetuneAllowed, "strategic")
                    : ("ascension_allowed", rules.ascensionAllowed, "philosophical")
                if !allowed.contains(proto) {
                    veto(rule, delta.subject, "the \(loop) loop may not rebind \(proto)'s model (\(rule) in "
                        + "\(GovernanceRules.keeper)'s codex); the Architect may: `a4ps slot set \(proto) model '\"NAME\"'`", attempted)
                }
                if let query = modelQuery(delta, in: proposal) {
                    let lookup = models[query] ?? .unknown(reason: "the governor was not told what it is")
                    for refusal in modelVetoes(name: query.model, persona: proto, lookup: lookup, rules: rules, author: author) {
                        var evidence = refusal.evidence.objectValue ?? [:]
                        evidence["path"] = .string(proposal.path.rawValue)
                        vetoes.append(Veto(rule: refusal.rule, proto: proto, subject: delta.subject, author: author,
                                           description: refusal.description, evidence: .object(evidence)))
                    }
                } else if let after = delta.after {
                    veto(rule, delta.subject, "the \(loop) loop binds \(proto) to a model name, not \(after.jsonText.prefix(80))", attempted)
                }
            } else if delta.subject == "codex" || slot.map({ rules.protectedSlots.contains($0) }) == true {
                let what = slot.map { "the slot '\($0)'" } ?? "the codex"
                if let refusal = slotWrite(what, proto: proto, path: proposal.path, author: author, rule: .protected) {
                    veto("protected_slots", delta.subject, refusal, attempted)
                }
            } else if let slot, rules.verifiedSlots.contains(slot) {
                if let refusal = slotWrite("the slot '\(slot)'", proto: proto, path: proposal.path, author: author, rule: .verified) {
                    veto("verified_slots", delta.subject, refusal, attempted)
                }
                if verifier, slot == "python_tools" {
                    for (name, source) in changedToolSources(delta) {
                        checkCode(source, of: "the Python tool \(proto).\(name)", forbidden: rules.forbiddenPython,
                                  forbiddenRule: "forbidden_python", subject: delta.subject, rules: rules, veto: veto)
                    }
                }
            } else if delta.subject.hasPrefix("method:"), !person, case .string(let source)? = delta.after {
                let selector = String(delta.subject.dropFirst(7))
                checkCode(source, of: "the method \(proto)>>\(selector)", forbidden: rules.forbiddenPrimitives,
                          forbiddenRule: "forbidden_primitives", subject: delta.subject, rules: rules, veto: veto)
                if author == .forge, delta.before == nil, !rules.forgeAllowed.contains(proto) {
                    veto("forge_allowed", delta.subject, "the forge may not grow methods on \(proto) "
                        + "(forge_allowed in \(GovernanceRules.keeper)'s codex); a person may: `a4ps method define \(proto) \(selector) --file METHOD.lua`",
                         ["selector": .string(selector)])
                }
            }
            // Whoever may change a codex keeps each persona named in its system prompt.
            if delta.subject == "codex", rules.systemPromptNamesPersona,
               let refusal = promptRefusal(proto, before: delta.before, after: delta.after) {
                veto("system_prompt_names_persona", delta.subject, refusal.message, refusal.evidence)
            }
        }
        return vetoes
    }

    /// Whether `delta` is a loop (strategic, philosophical) rebinding a persona's model by a swap.
    private static func isLoopRebinding(_ delta: ChangeRecord.Delta, in proposal: Proposal) -> Bool {
        delta.subject == "slot:" + GovernanceRules.modelSlot && proposal.path == .swap
            && (proposal.author == .strategic || proposal.author == .ascension)
    }

    /// The model a loop's rebinding in `delta` names (nil when `delta` is no such rebinding, or
    /// names no model).
    private static func modelQuery(_ delta: ChangeRecord.Delta, in proposal: Proposal) -> ModelQuery? {
        guard isLoopRebinding(delta, in: proposal), let name = delta.after?.stringValue, !name.isEmpty else { return nil }
        return ModelQuery(model: name, persona: proposal.proto)
    }

    /// The models `proposal` binds personas to whose facts the governor needs to judge it.
    public static func modelQueries(_ proposal: Proposal) -> [ModelQuery] {
        proposal.deltas.compactMap { modelQuery($0, in: proposal) }
    }

    /// Why a codex change leaves a persona's `system_prompt` without the persona's name (nil when
    /// it does not). A persona is a proto whose codex has (or had) a system prompt; its name is its
    /// codex's `name`, else the proto's (a clone keeps its original's).
    static func promptRefusal(_ proto: String, before: JSONValue?, after: JSONValue?) -> (message: String, evidence: [String: JSONValue])? {
        guard before?["system_prompt"] != nil || after?["system_prompt"] != nil else { return nil }
        let name = after?["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? proto
        let prompt = after?["system_prompt"]?.stringValue
        if let prompt, names(prompt, name) { return nil }
        let what = prompt == nil ? "leaves \(proto) without a system prompt" : "leaves \(proto)'s system prompt without the name \(name)"
        return ("the change " + what + " (system_prompt_names_persona in \(GovernanceRules.keeper)'s codex): a persona's system prompt "
                    + "names it — keep \"\(name)\" in it (`a4ps codex propose \(proto)` with the name in the new prompt)",
                ["name": .string(name), "system_prompt": prompt.map { .string(String($0.prefix(240))) } ?? .null])
    }

    /// Whether `text` names `name` as a word of its own (case-insensitive).
    static func names(_ text: String, _ name: String) -> Bool {
        let (text, name) = (text.lowercased(), name.lowercased())
        var rest = text[...]
        while let range = rest.range(of: name) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if !(before.map(isNameCharacter) ?? false) && !(after.map(isNameCharacter) ?? false) { return true }
            rest = text[range.upperBound...]
        }
        return false
    }

    private static func isNameCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

    private enum SlotRule { case protected, verified }

    /// Why `author` may not write `what` by `path` under `rule`; nil when it may.
    private static func slotWrite(_ what: String, proto: String, path: Path, author: ChangeAuthor, rule: SlotRule) -> String? {
        switch rule {
        case .protected:
            if path != .method && (author == .architect || author == .genesis) { return nil }
            let who = path == .method ? "a method" : "the \(author.rawValue)"
            return "\(what) of \(proto) is protected (protected_slots in \(GovernanceRules.keeper)'s codex): only the Architect "
                + "changes it — with `a4ps slot set` or an authenticated PUT /protos/\(proto)/slots/NAME, a codex by approving "
                + "an amendment (`a4ps proposals approve ID`) — never \(who)"
        case .verified:
            switch (path, author) {
            case (.create, .genesis), (.rollback, .architect), (.swap, .forge), (.swap, .debugger): return nil
            default:
                let who = path == .method ? "a method" : (author == .architect ? "a direct write" : "the \(author.rawValue)")
                return "\(what) of \(proto) changes only through a verified install — use `a4ps forge \(proto) SELECTOR` "
                    + "(or `a4ps debug fix ID` for a failing method), which tests the change on a clone first; "
                    + "\(who) may not write it (a person restores an earlier state with `a4ps image rollback`)"
            }
        }
    }

    private static func checkCode(_ source: String, of what: String, forbidden: [String], forbiddenRule: String, subject: String,
                                  rules: GovernanceRules, veto: (String, String, String, [String: JSONValue]) -> Void) {
        let size = source.utf8.count
        if size > rules.maxMethodBytes {
            veto("max_method_bytes", subject, "\(what) is \(size) bytes; the system may install at most \(rules.maxMethodBytes) "
                + "(max_method_bytes in \(GovernanceRules.keeper)'s codex): split it into smaller methods",
                 ["bytes": .int(size), "limit": .int(rules.maxMethodBytes)])
        }
        for primitive in forbidden where !primitive.isEmpty && source.contains(primitive) {
            veto(forbiddenRule, subject, "\(what) uses the forbidden '\(primitive)' (\(forbiddenRule) in \(GovernanceRules.keeper)'s codex): "
                + "write it without it", ["primitive": .string(primitive)])
        }
    }

    /// The Python tools whose source a `python_tools` delta adds or changes: name → new source.
    private static func changedToolSources(_ delta: ChangeRecord.Delta) -> [(String, String)] {
        guard let after = delta.after?.objectValue else { return [] }
        return after.sorted { $0.key < $1.key }.compactMap { name, tool in
            guard let source = tool["source"]?.stringValue, delta.before?[name]?["source"]?.stringValue != source else { return nil }
            return (name, source)
        }
    }

    /// A value attempted, short enough for the audit trail.
    static func excerpt(_ value: JSONValue?) -> JSONValue {
        guard let value else { return .null }
        let text = value.jsonText
        return text.utf8.count <= 240 ? value : .string(String(text.prefix(237)) + "…")
    }
}

extension ImageError {
    init(_ veto: Governor.Veto) {
        self.init(.vetoed, "vetoed by the governor (rule \(veto.rule)): " + veto.description)
        self.veto = veto
    }

    /// The error for a refused change: the first veto's, naming the other rules it broke.
    init(_ vetoes: [Governor.Veto]) {
        precondition(!vetoes.isEmpty, "a refusal names at least one veto")
        self.init(vetoes[0])
        let others = Set(vetoes.dropFirst().map(\.rule)).subtracting([vetoes[0].rule]).sorted()
        if !others.isEmpty {
            self = ImageError(.vetoed, description + " (it also breaks \(others.joined(separator: ", ")))")
            veto = vetoes[0]
        }
    }
}

extension ImageStore.PendingChange {
    /// What the governor is asked to admit for this change; the kind tells the path it came by.
    var proposal: Governor.Proposal {
        let path: Governor.Path = switch kind {
        case "slots": .method
        case "rollback": .rollback
        case "create": .create
        default: .swap
        }
        return Governor.Proposal(proto: proto.name, path: path, author: author, deltas: deltas)
    }
}
