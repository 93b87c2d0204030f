import Foundation
import LivingImage
import Testing

/// `a4ps governance show|vetoes` and the refusals in `a4ps image history`, run as real processes
/// on a real image file: the Architect reads the rules in force and sees what the governor refused.
@Suite struct GovernanceCLITests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-governance-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }

    @discardableResult
    func a4ps(_ args: String..., expect status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await CLIProcess.run(args, in: dir)
        #expect(result.status == status, "a4ps \(args.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return status == 0 ? result.stdout : result.stderr
    }

    @Test func theArchitectReadsTheRulesAndTheRefusals() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try await a4ps("image", "init")
        let shown = try await a4ps("governance", "show")
        #expect(shown.contains("protected_slots = [\"codex\",\"model\"]"), "\(shown)")
        #expect(shown.contains("system_prompt_names_persona = true"))
        #expect(shown.contains("allowed_model_families = []"))
        #expect(shown.contains("paths:   forge start"))
        #expect(shown.contains("model_known = true  (default)"))
        let json = try JSONValue(parsing: try await a4ps("governance", "show", "--json"))
        let rules = try #require(json["rules"]?.arrayValue)
        let prompt = try #require(rules.first { $0["key"] == "system_prompt_names_persona" })
        #expect(prompt["paths"]?.arrayValue?.contains("codex amendment approval") == true && prompt["set_by_codex"] == true)
        #expect(try await a4ps("governance", "vetoes").contains("no vetoes"))

        try await a4ps("method", "define", "BRICK", "usurp", "--source", "self:set('codex', {role = 'king'}) return 1")
        let refused = try await a4ps("send", "BRICK", "usurp", expect: 1)
        #expect(refused.contains("rule protected_slots"), "\(refused)")

        // The refusal is in the history, after the change that defined the method.
        let history = try await a4ps("image", "history", "BRICK")
        let define = try #require(history.range(of: "define usurp"))
        let veto = try #require(history.range(of: "VETO 1"))
        #expect(define.lowerBound < veto.lowerBound, "\(history)")
        #expect(history.contains("slot:codex  by architect  rule protected_slots"))
        let entries = try #require(try JSONValue(parsing: try await a4ps("image", "history", "BRICK", "--json")).arrayValue)
        #expect(entries.last?["kind"] == "veto" && entries.last?["rule"] == "protected_slots")
        #expect(entries.last?["evidence"]?["path"] == "method")
        #expect(try await a4ps("governance", "vetoes", "BRICK").contains("only the Architect"))
        #expect(try await a4ps("governance", "vetoes", "ROBIN").contains("no vetoes"))
    }
}
