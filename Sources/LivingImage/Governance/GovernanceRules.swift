/// The machine-checkable rules of ALFRED's codex (`governance`), as the ``Governor`` reads them
/// at every commit: policy is data in the image, enforcement is here in the VM.
///
/// A rule the codex leaves out takes its genesis default. Some protections hold whatever the
/// codex says: the codex itself is always protected, and the slots `tests` and `python_tools`
/// always change only through a verified forge or debugger fix, and a loop never binds a persona
/// to a model nobody knows. ``inForce(codex:)`` describes each rule and the paths it governs.
public struct GovernanceRules: Sendable, Hashable {
    /// The proto whose codex holds the rules.
    public static let keeper = "ALFRED"
    /// Slots (and the codex) only the Architect may change, never a method.
    public var protectedSlots: Set<String>
    /// Slots written only by the verified forge and debugger paths.
    public var verifiedSlots: Set<String>
    /// Text a method written by the system (forge, debugger) may not contain.
    public var forbiddenPrimitives: [String]
    /// Text a Python tool written by the system may not contain.
    public var forbiddenPython: [String]
    /// The largest method (or Python tool) source the system may install, in bytes.
    public var maxMethodBytes: Int
    /// Protos the forge may grow new methods on.
    public var forgeAllowed: Set<String>
    /// Personas the strategic loop may fine-tune and rebind (`finetune_allowed`); the others are
    /// protected from it. ALFRED judges the validation, so by default he is not among them.
    public var finetuneAllowed: Set<String>
    /// Fine-tune jobs the strategic loop may start in any 24 hours (`finetunes_per_day`).
    public var finetunesPerDay: Int
    /// Personas the philosophical loop may rebind to a new base model (`ascension_allowed`).
    public var ascensionAllowed: Set<String>
    /// Whether a validated ascension waits for the Architect (`propose`, the default) or applies
    /// itself (`auto`) (`ascension_policy`).
    public var ascensionPolicy: AscensionPolicy
    /// How a validated ascension is applied.
    public enum AscensionPolicy: String, Sendable, Hashable, CaseIterable {
        case propose, auto
    }
    /// Model families a loop may bind a persona to (`allowed_model_families`): an entry admits a
    /// model whose family is it, or whose name begins with it (case-insensitive); empty admits any.
    public var allowedModelFamilies: [String]
    /// Whether a loop may bind a persona only to a model that fits its server's VRAM budget
    /// (`model_fits_vram_budget`).
    public var modelFitsVRAMBudget: Bool
    /// Whether every persona's codex `system_prompt` must name the persona
    /// (`system_prompt_names_persona`) — on every path, the Architect's included.
    public var systemPromptNamesPersona: Bool
    /// Forges (Tool Forge runs) that may start in any hour (`forge_attempts_per_hour`).
    public var forgeAttemptsPerHour: Int
    /// The slot that binds a persona to its model, which the strategic loop swaps.
    public static let modelSlot = "model"

    /// Always protected, whatever the codex says.
    public static let alwaysProtected: Set<String> = ["codex"]
    /// Always written only through verification, whatever the codex says.
    public static let alwaysVerified: Set<String> = ["tests", "python_tools"]

    public static let defaults = GovernanceRules(
        protectedSlots: alwaysProtected, verifiedSlots: alwaysVerified,
        forbiddenPrimitives: ["os.execute", "io.", "require", "dofile", "loadfile", "load(", "debug.", "package."],
        forbiddenPython: ["subprocess", "socket", "ctypes", "os.system", "os.fork", "os.exec", "multiprocessing"],
        maxMethodBytes: 16384, forgeAllowed: ["BRICK", "ROBIN", "BABS"], finetuneAllowed: ["BRICK", "ROBIN", "BABS"],
        finetunesPerDay: 4, ascensionAllowed: ["BRICK", "ROBIN", "BABS"], ascensionPolicy: .propose,
        allowedModelFamilies: [], modelFitsVRAMBudget: true, systemPromptNamesPersona: true, forgeAttemptsPerHour: 10)

    public init(protectedSlots: Set<String>, verifiedSlots: Set<String>, forbiddenPrimitives: [String], forbiddenPython: [String],
                maxMethodBytes: Int, forgeAllowed: Set<String>, finetuneAllowed: Set<String> = [], finetunesPerDay: Int = 0,
                ascensionAllowed: Set<String> = [], ascensionPolicy: AscensionPolicy = .propose,
                allowedModelFamilies: [String] = [], modelFitsVRAMBudget: Bool = true, systemPromptNamesPersona: Bool = true,
                forgeAttemptsPerHour: Int = 10) {
        self.protectedSlots = protectedSlots.union(Self.alwaysProtected)
        self.verifiedSlots = verifiedSlots.union(Self.alwaysVerified)
        self.forbiddenPrimitives = forbiddenPrimitives
        self.forbiddenPython = forbiddenPython
        self.maxMethodBytes = maxMethodBytes
        self.forgeAllowed = forgeAllowed
        self.finetuneAllowed = finetuneAllowed
        self.finetunesPerDay = finetunesPerDay
        self.ascensionAllowed = ascensionAllowed
        self.ascensionPolicy = ascensionPolicy
        self.allowedModelFamilies = allowedModelFamilies
        self.modelFitsVRAMBudget = modelFitsVRAMBudget
        self.systemPromptNamesPersona = systemPromptNamesPersona
        self.forgeAttemptsPerHour = forgeAttemptsPerHour
    }

    /// The rules of the keeper's codex in `protos` (the defaults where it has none).
    public init(in protos: ProtoTable) {
        self.init(codex: protos[Self.keeper]?.codex)
    }

    /// The rules of a codex's `governance` table.
    public init(codex: JSONValue?) {
        let table = codex?["governance"]
        func strings(_ key: String) -> [String]? { table?[key]?.arrayValue?.compactMap(\.stringValue) }
        let base = Self.defaults
        self.init(protectedSlots: Set(strings("protected_slots") ?? []),
                  verifiedSlots: Set(strings("verified_slots") ?? []),
                  forbiddenPrimitives: strings("forbidden_primitives") ?? base.forbiddenPrimitives,
                  forbiddenPython: strings("forbidden_python") ?? base.forbiddenPython,
                  maxMethodBytes: table?["max_method_bytes"]?.intValue ?? base.maxMethodBytes,
                  forgeAllowed: strings("forge_allowed").map(Set.init) ?? base.forgeAllowed,
                  finetuneAllowed: strings("finetune_allowed").map(Set.init) ?? base.finetuneAllowed,
                  finetunesPerDay: table?["finetunes_per_day"]?.intValue ?? base.finetunesPerDay,
                  ascensionAllowed: strings("ascension_allowed").map(Set.init) ?? base.ascensionAllowed,
                  ascensionPolicy: table?["ascension_policy"]?.stringValue.flatMap(AscensionPolicy.init(rawValue:)) ?? base.ascensionPolicy,
                  allowedModelFamilies: strings("allowed_model_families") ?? base.allowedModelFamilies,
                  modelFitsVRAMBudget: table?["model_fits_vram_budget"]?.boolValue ?? base.modelFitsVRAMBudget,
                  systemPromptNamesPersona: table?["system_prompt_names_persona"]?.boolValue ?? base.systemPromptNamesPersona,
                  forgeAttemptsPerHour: table?["forge_attempts_per_hour"]?.intValue ?? base.forgeAttemptsPerHour)
    }
}
