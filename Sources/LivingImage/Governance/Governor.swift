/// The one check every change to the image passes before it commits — a person's edit, a
/// method's slot writes, a forge install, a debugger fix, a rollback (and next the strategic and
/// philosophical loops): who may write what, by the rules of ALFRED's codex (``GovernanceRules``).
///
/// The object memory consults it inside its commit, so no path around it exists: a vetoed
/// change commits nothing, throws an ``ImageError`` with code `vetoed` that names the rule and the
/// right path, and is published on the event bus as ``ImageEvent/governorVeto(_:)``.
///
/// - The codex and the protected slots change only by a person (author `architect`), never
///   through a method's `self:set`.
/// - `tests` and `python_tools` change only through the forge and debugger installs (authors
///   `forge`, `debugger`), which verify them on a clone first; a person restores them by rollback.
/// - Methods and Python tools the system writes (forge, debugger) are held to the codex's size
///   limit and forbidden primitives; the forge grows methods only on `forge_allowed` protos.
public struct Governor: Sendable {
    /// A refusal: the rule broken, and where.
    public struct Veto: Sendable, Hashable, CustomStringConvertible {
        /// The codex rule (`protected_slots`, `verified_slots`, `max_method_bytes`, `forbidden_primitives`,
        /// `forbidden_python`, `forge_allowed`).
        public var rule: String
        public var proto: String
        /// The part refused: `slot:NAME`, `method:SELECTOR`, `codex`.
        public var subject: String
        public var author: ChangeAuthor
        public var description: String
    }

    /// How a change reaches the object memory, which decides what it may touch.
    public enum Path: Sendable, Hashable {
        /// A method's slot writes, committed when its send returns (Lua: `self:set`).
        case method
        /// A clone swapped in by Swift code: a person's edit (CLI, API), a forge install, a debugger fix.
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

    init(events: EventBus) {
        self.events = events
    }

    /// Throws the first veto among `proposals` (publishing it), or returns when all may commit.
    func admit(_ proposals: [Proposal], rules: GovernanceRules) throws(ImageError) {
        for proposal in proposals {
            if let veto = Self.vetoes(proposal, rules: rules).first { throw refuse(veto) }
        }
    }

    /// Throws (publishing) the veto when the strategic loop may not start a fine-tune of `persona`,
    /// `startedToday` jobs having started in the last 24 hours.
    func admitFinetune(of persona: String, startedToday: Int, rules: GovernanceRules) throws(ImageError) {
        if let veto = Self.finetuneVeto(of: persona, startedToday: startedToday, rules: rules) { throw refuse(veto) }
    }

    /// Why a fine-tune of `persona` may not start now (nil when it may); publishes nothing.
    public static func finetuneVeto(of persona: String, startedToday: Int, rules: GovernanceRules) -> Veto? {
        let keeper = GovernanceRules.keeper
        if !rules.finetuneAllowed.contains(persona) {
            return Veto(rule: "finetune_allowed", proto: persona, subject: "finetune", author: .strategic,
                        description: "\(persona) is protected from fine-tuning (finetune_allowed in \(keeper)'s codex: "
                            + "\(rules.finetuneAllowed.sorted().joined(separator: ", ")))")
        }
        if startedToday >= rules.finetunesPerDay {
            return Veto(rule: "finetunes_per_day", proto: persona, subject: "finetune", author: .strategic,
                        description: "\(startedToday) fine-tune job(s) started in the last 24 hours, the budget is \(rules.finetunesPerDay) "
                            + "(finetunes_per_day in \(keeper)'s codex): wait, or have the Architect raise it")
        }
        return nil
    }

    /// Publishes the veto on the event bus and answers the error for its caller.
    func refuse(_ veto: Veto) -> ImageError {
        events.publish(.governorVeto(veto))
        return ImageError(veto)
    }

    /// Every rule `proposal` breaks (empty when it may commit); publishes nothing.
    public static func vetoes(_ proposal: Proposal, rules: GovernanceRules) -> [Veto] {
        var vetoes: [Veto] = []
        let (proto, author) = (proposal.proto, proposal.author)
        func veto(_ rule: String, _ subject: String, _ message: String) {
            vetoes.append(Veto(rule: rule, proto: proto, subject: subject, author: author, description: message))
        }
        let person = author == .architect || author == .genesis
        let verifier = author == .forge || author == .debugger
        for delta in proposal.deltas {
            let slot: String? = delta.subject.hasPrefix("slot:") ? String(delta.subject.dropFirst(5)) : nil
            if slot == GovernanceRules.modelSlot, author == .strategic || author == .ascension, proposal.path == .swap {
                // The strategic loop rebinds a persona to a model it validated, the philosophical loop to a base model it
                // ascended to — only personas the codex lets each of them rebind.
                let (rule, allowed, loop) = author == .strategic
                    ? ("finetune_allowed", rules.finetuneAllowed, "strategic")
                    : ("ascension_allowed", rules.ascensionAllowed, "philosophical")
                if !allowed.contains(proto) {
                    veto(rule, delta.subject, "the \(loop) loop may not rebind \(proto)'s model (\(rule) in "
                        + "\(GovernanceRules.keeper)'s codex); the Architect may: `a4ps slot set \(proto) model '\"NAME\"'`")
                }
                if let after = delta.after, after.stringValue?.isEmpty ?? true {
                    veto(rule, delta.subject, "the \(loop) loop binds \(proto) to a model name, not \(after.jsonText.prefix(80))")
                }
            } else if delta.subject == "codex" || slot.map { rules.protectedSlots.contains($0) } == true {
                let what = slot.map { "the slot '\($0)'" } ?? "the codex"
                if let refusal = slotWrite(what, proto: proto, path: proposal.path, author: author, rule: .protected) {
                    veto("protected_slots", delta.subject, refusal)
                }
            } else if let slot, rules.verifiedSlots.contains(slot) {
                if let refusal = slotWrite("the slot '\(slot)'", proto: proto, path: proposal.path, author: author, rule: .verified) {
                    veto("verified_slots", delta.subject, refusal)
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
                        + "(forge_allowed in \(GovernanceRules.keeper)'s codex); a person may: `a4ps method define \(proto) \(selector) --file METHOD.lua`")
                }
            }
        }
        return vetoes
    }

    private enum SlotRule { case protected, verified }

    /// Why `author` may not write `what` by `path` under `rule`; nil when it may.
    private static func slotWrite(_ what: String, proto: String, path: Path, author: ChangeAuthor, rule: SlotRule) -> String? {
        switch rule {
        case .protected:
            if path != .method && (author == .architect || author == .genesis) { return nil }
            let who = path == .method ? "a method" : "the \(author.rawValue)"
            return "\(what) of \(proto) is protected (protected_slots in \(GovernanceRules.keeper)'s codex): only the Architect "
                + "changes it — with `a4ps slot set` or an authenticated PUT /protos/\(proto)/slots/NAME — never \(who)"
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
                                  rules: GovernanceRules, veto: (String, String, String) -> Void) {
        let size = source.utf8.count
        if size > rules.maxMethodBytes {
            veto("max_method_bytes", subject, "\(what) is \(size) bytes; the system may install at most \(rules.maxMethodBytes) "
                + "(max_method_bytes in \(GovernanceRules.keeper)'s codex)")
        }
        for primitive in forbidden where !primitive.isEmpty && source.contains(primitive) {
            veto(forbiddenRule, subject, "\(what) uses the forbidden '\(primitive)' (\(forbiddenRule) in \(GovernanceRules.keeper)'s codex)")
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
}

extension ImageError {
    init(_ veto: Governor.Veto) {
        self.init(.vetoed, "vetoed by the governor: " + veto.description)
        self.veto = veto
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
