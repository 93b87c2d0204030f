import Foundation
import LivingImage
import Testing

/// `a4ps codex propose` and `a4ps proposals`, run as real processes on a real image file: the
/// Architect asks for an amendment, reads it, approves one and rejects another.
@Suite struct CodexProposalCLITests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-proposals-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }

    @discardableResult
    func a4ps(_ args: String..., expect status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await CLIProcess.run(args, in: dir)
        #expect(result.status == status, "a4ps \(args.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return status == 0 ? result.stdout : result.stderr
    }

    @Test func theArchitectProposesReadsApprovesAndRejects() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try "[philosophical]\nproposal_lifetime_days = 2\n".write(to: dir.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        try await a4ps("image", "init")
        #expect(try await a4ps("proposals", "list").contains("no codex proposals"))
        let proposed = try await a4ps("codex", "propose", "BRICK", "--set", #"principles=["Prove it, then say it."]"#,
                                      "--reason", "answers lacked proofs", "--evidence", #"{"runs": ["r1"]}"#)
        #expect(proposed.contains("codex proposal 1 of BRICK is pending"))
        #expect(try await a4ps("proposals", "list").contains("1  BRICK  pending  by architect  set principles"))
        let shown = try JSONValue(parsing: try await a4ps("proposals", "show", "1"))
        #expect(shown["diff"]?["set"]?["principles"] == ["Prove it, then say it."])
        #expect(shown["reasoning"] == "answers lacked proofs" && shown["evidence"]?["runs"] == ["r1"])
        let lifetime = (shown["expires_at"]?.doubleValue ?? 0) - (shown["created_at"]?.doubleValue ?? 0)
        #expect(lifetime == 2 * 86_400, "[philosophical] proposal_lifetime_days of config.toml")

        #expect(try await a4ps("proposals", "approve", "1", "--note", "agreed").contains("approved codex proposal 1"))
        let history = try JSONValue(parsing: try await a4ps("image", "history", "BRICK", "--json"))
        let amendment = try #require(history.arrayValue?.last)
        #expect(amendment["author"] == "architect" && amendment["kind"] == "amendment")
        #expect(amendment["reason"]?.stringValue?.contains("proposal 1") == true)
        #expect(try await a4ps("proposals", "approve", "1", expect: 1).contains("already approved"))
        #expect(try await a4ps("proposals", "reject", "7", expect: 1).contains("no codex proposal 7"))

        try await a4ps("codex", "propose", "BRICK", "--set", #"motto="Rigor.""#)
        #expect(try await a4ps("proposals", "reject", "2", "--note", "no motto").contains("the codex is unchanged"))
        let again = try await a4ps("codex", "propose", "BRICK", "--set", #"motto="Rigor.""#, expect: 1)
        #expect(again.contains("no motto") && again.contains("new evidence"))
        #expect(try await a4ps("codex", "propose", "BRICK", "--set", "motto=Rigor", expect: 64).contains("must be JSON"))
    }
}
