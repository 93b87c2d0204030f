import Foundation
import Testing
@testable import LivingImage

/// Model facts from a table, as a runtime's model servers would answer them.
struct TableModelFacts: ModelFactsResolver {
    let table: [String: ModelFacts]

    init(_ facts: [ModelFacts]) {
        table = Dictionary(uniqueKeysWithValues: facts.map { ($0.model, $0) })
    }

    func facts(about model: String, for persona: String) async -> ModelLookup {
        table[model].map { .known($0) } ?? .unknown(reason: "no server of the test has it")
    }
}

/// Facts of a model of `gb` GB (nil: unreported) on a server with a budget of `budget` GB.
func modelFacts(_ model: String, family: String?, gb: Double?, budget: Double = 8) -> ModelFacts {
    ModelFacts(model: model, family: family, sizeBytes: gb.map { Int64($0 * 1e9) }, budgetBytes: Int64(budget * 1e9), server: "the test server")
}

/// Changes ALFRED's governance table as the Architect does.
func amendGovernance(_ image: Image, sourceLocation: SourceLocation = #_sourceLocation,
                     _ change: (inout [String: JSONValue]) -> Void) async throws {
    let alfred = try #require(image.memory.proto(named: GovernanceRules.keeper), sourceLocation: sourceLocation)
    var clone = alfred.clone()
    var codex = clone.codex.objectValue ?? [:]
    var governance = codex["governance"]?.objectValue ?? [:]
    change(&governance)
    codex["governance"] = .object(governance)
    clone.codex = .object(codex)
    try await image.memory.swap(clone, expecting: alfred.version, author: .architect, reason: "governance for a test")
}

/// Swaps in `persona` with its `model` slot set to `model`, by `author` (a loop's rebinding).
func rebind(_ image: Image, _ persona: String, to model: String, author: ChangeAuthor,
            sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let current = try #require(image.memory.proto(named: persona), sourceLocation: sourceLocation)
    var clone = current.clone()
    clone.slots[GovernanceRules.modelSlot] = .string(model)
    try await image.memory.swap(clone, expecting: current.version, author: author, reason: "rebinding for a test")
}

/// Swaps in `persona` with its codex changed by `change`, by `author`.
func editCodex(_ image: Image, _ persona: String, author: ChangeAuthor, kind: String = "swap",
               sourceLocation: SourceLocation = #_sourceLocation, _ change: (inout [String: JSONValue]) -> Void) async throws {
    let current = try #require(image.memory.proto(named: persona), sourceLocation: sourceLocation)
    var clone = current.clone()
    var codex = clone.codex.objectValue ?? [:]
    change(&codex)
    clone.codex = .object(codex)
    try await image.memory.swap(clone, expecting: current.version, author: author, reason: "codex edit for a test", kind: kind)
}

/// Expects `body` to be vetoed under `rule`, as every veto must be: the error names the rule, the
/// image is unchanged, the audit trail keeps the refusal (with its evidence) and a
/// `governor.veto` event carries it. Answers the audit entry.
@discardableResult
func expectVeto(_ rule: String, in image: Image, proto: String? = nil, author: ChangeAuthor? = nil,
                sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async throws -> VetoRecord? {
    let events = image.events.subscribe()
    let before = try ImageFingerprint(image)
    let audited = try image.vetoes(limit: 1_000_000).count
    let error = await expectImageError(.vetoed, sourceLocation: sourceLocation) { try await body() }
    #expect(error?.description.contains("rule \(rule)") == true, "\(error?.description ?? "no error")", sourceLocation: sourceLocation)
    #expect(try ImageFingerprint(image) == before, "a vetoed change left a trace in the image", sourceLocation: sourceLocation)
    let entries = try image.vetoes(limit: 1_000_000).dropFirst(audited)
    let entry = entries.first { $0.veto.rule == rule }
    #expect(entry != nil, "no audit entry for \(rule), only \(entries.map(\.veto.rule))", sourceLocation: sourceLocation)
    #expect(entry?.veto.evidence.objectValue?.isEmpty == false, "the audit entry has no evidence", sourceLocation: sourceLocation)
    #expect(abs(entry?.at.timeIntervalSinceNow ?? -1e9) < 600, "the audit entry's time", sourceLocation: sourceLocation)
    if let proto { #expect(entry?.veto.proto == proto, sourceLocation: sourceLocation) }
    if let author { #expect(entry?.veto.author == author, sourceLocation: sourceLocation) }
    let read = await readEvents(events, "a governor.veto event for \(rule)", sourceLocation: sourceLocation) { event in
        if case .governorVeto(let veto) = event { return veto.rule == rule }
        return false
    }
    if case .governorVeto(let published)? = read.last {
        #expect(published == entry?.veto, "the event and the audit entry differ", sourceLocation: sourceLocation)
        #expect(ImageEvent.governorVeto(published).json["evidence"] == published.evidence, sourceLocation: sourceLocation)
    }
    return entry
}
