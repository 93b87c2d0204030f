/// The rules in force, described: what each governs and on which paths of change the
/// ``Governor`` checks it (`a4ps governance show`).
extension GovernanceRules {
    /// The paths of change, as ``GovernanceRule/paths`` names them.
    public enum PathName {
        public static let method = "method (Lua self:set)"
        public static let personSwap = "person's edit (CLI, authenticated API)"
        public static let amendment = "codex amendment approval"
        public static let forgeInstall = "forge install"
        public static let debuggerFix = "debugger fix"
        public static let strategic = "strategic rebinding"
        public static let ascension = "ascension rebinding"
        public static let rollback = "rollback"
        public static let create = "create"
        public static let forgeStart = "forge start"
        public static let finetuneStart = "fine-tune start"
        public static let modelAdmission = "model admission (before a pull)"
        /// Every path a committed change can take.
        public static let commits = [method, personSwap, amendment, forgeInstall, debuggerFix, strategic, ascension, rollback, create]
    }

    /// Every rule of the `governance` table of `codex` (ALFRED's), with the value in force.
    public static func inForce(codex: JSONValue?) -> [GovernanceRule] {
        let rules = GovernanceRules(codex: codex)
        let table = codex?["governance"]
        func strings(_ values: some Sequence<String>) -> JSONValue { .array(values.map { .string($0) }) }
        func rule(_ key: String, _ value: JSONValue, _ governs: String, _ paths: [String], by: String = "governor") -> GovernanceRule {
            GovernanceRule(key: key, value: value, setByCodex: table?[key] != nil, governs: governs, paths: paths, enforcedBy: by)
        }
        let p = PathName.self
        let models = [p.strategic, p.ascension, p.modelAdmission]
        return [
            rule("protected_slots", strings(rules.protectedSlots.sorted()),
                 "slots only the Architect changes (the codex always); the loops may rebind `model` as the rules below allow",
                 p.commits),
            rule("verified_slots", strings(rules.verifiedSlots.sorted()),
                 "slots written only by a verified forge install or debugger fix (tests and python_tools always); a person restores them by rollback",
                 p.commits),
            rule("forbidden_primitives", strings(rules.forbiddenPrimitives), "text a Lua method written by the system may not contain",
                 [p.forgeInstall, p.debuggerFix]),
            rule("forbidden_python", strings(rules.forbiddenPython), "text a Python tool written by the system may not contain",
                 [p.forgeInstall, p.debuggerFix]),
            rule("max_method_bytes", .int(rules.maxMethodBytes), "the largest method or Python tool the system may install, in bytes",
                 [p.forgeInstall, p.debuggerFix]),
            rule("forge_allowed", strings(rules.forgeAllowed.sorted()), "protos the Tool Forge may grow new methods on",
                 [p.forgeStart, p.forgeInstall]),
            rule("forge_attempts_per_hour", .int(rules.forgeAttemptsPerHour), "forges that may start in any hour", [p.forgeStart]),
            rule("finetune_allowed", strings(rules.finetuneAllowed.sorted()), "personas the strategic loop may fine-tune and rebind",
                 [p.finetuneStart, p.strategic]),
            rule("finetunes_per_day", .int(rules.finetunesPerDay), "fine-tune jobs that may start in any 24 hours", [p.finetuneStart]),
            rule("ascension_allowed", strings(rules.ascensionAllowed.sorted()),
                 "personas the philosophical loop may rebind to a new base model", [p.ascension]),
            rule("allowed_model_families", strings(rules.allowedModelFamilies),
                 "model families the loops may bind a persona to (an entry is a family or a name's beginning); empty: any", models),
            rule("model_fits_vram_budget", .bool(rules.modelFitsVRAMBudget),
                 "the loops bind a persona only to a model that fits its server's VRAM budget (config.toml vram_gb)", models),
            GovernanceRule(key: "model_known", value: .bool(true), setByCodex: false,
                           governs: "the loops bind a persona only to a model its server or a registered adapter knows (always on)",
                           paths: models),
            rule("system_prompt_names_persona", .bool(rules.systemPromptNamesPersona),
                 "every persona's codex system_prompt names the persona, whoever changes the codex (the Architect too)",
                 [p.personSwap, p.amendment, p.rollback, p.create]),
            rule("ascension_policy", .string(rules.ascensionPolicy.rawValue),
                 "whether a validated ascension waits for the Architect (propose) or applies itself (auto)", [p.ascension],
                 by: "the philosophical loop"),
            rule("forge_policy", table?["forge_policy"] ?? "on", "whether a message nobody understands may be forged",
                 [p.forgeStart], by: "ALFRED>>approveForge"),
            rule("forge_language", table?["forge_language"] ?? "lua", "what the forge writes: a Lua method or a Python tool",
                 [p.forgeStart], by: "ALFRED>>approveForge"),
        ]
    }
}
