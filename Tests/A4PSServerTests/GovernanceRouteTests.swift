import A4PSServer
import AsyncHTTPClient
import Foundation
import LivingImage
import NIOHTTP1
import TestHTTP
import Testing

/// The governor behind the API: a PUT carrying the server's token is the Architect's, and may
/// change a protected slot; without the token nothing changes; the verified slots and a method's
/// writes are refused with 403, a JSON error that names the right path, and a `governor.veto` event.
@Suite struct GovernanceRouteTests {
    @Test func protectedSlotsNeedTheArchitectsAuthority() async throws {
        try await TestServer.with { server in
            let before = server.image.memory.snapshot()
            let (anonymous, json, _) = try await server.api.call(.PUT, "/protos/ROBIN/slots/model", body: #""tiny""#, token: .some(nil))
            #expect(anonymous == 401 && json["code"] == "unauthorized")
            let (forged, _, _) = try await server.api.call(.PUT, "/protos/ROBIN/slots/model", body: #""tiny""#, token: "not-the-token")
            #expect(forged == 401)
            #expect(server.image.memory.snapshot() == before)

            let (architect, change, _) = try await server.api.call(.PUT, "/protos/ROBIN/slots/model", body: #""mistral:7b-instruct""#)
            #expect(architect == 200, "\(change)")
            #expect(change["change"]?["author"] == "architect")
            #expect(try server.image.slot("model", of: "ROBIN") == "mistral:7b-instruct")
        }
    }

    @Test func verifiedSlotsAreRefusedWithTheRightPath() async throws {
        try await TestServer.with { server in
            let vetoed = Flag()
            let events = server.image.events.subscribe()
            let watching = Task {
                for await event in events {
                    if case .governorVeto(let veto) = event, veto.proto == "BRICK", veto.rule == "verified_slots" { vetoed.raise() }
                }
            }
            defer { watching.cancel() }
            let before = server.image.memory.snapshot()
            let (status, json, _) = try await server.api.call(.PUT, "/protos/BRICK/slots/tests", body: #"{"double": "assert(true)"}"#)
            #expect(status == 403)
            #expect(json["code"] == "vetoed")
            #expect(json["error"]?.stringValue?.contains("a4ps forge BRICK SELECTOR") == true)
            #expect(server.image.memory.snapshot() == before)
            #expect(await server.eventually { vetoed.isRaised }, "no governor.veto event was published")
        }
    }

    @Test func theCodexIsNotWrittenWithoutTheToken() async throws {
        try await TestServer.with { server in
            let before = server.image.memory.snapshot()
            let changes = try server.image.history(limit: 1_000_000).count
            let codex = #"{"name": "BRICK", "role": "king", "system_prompt": "You rule."}"#
            for token: String?? in [.some(nil), "not-the-token", "Bearer"] {
                let (status, json, _) = try await server.api.call(.PUT, "/protos/BRICK/slots/codex", body: codex, token: token)
                #expect(status == 401 && json["code"] == "unauthorized", "\(status) \(json)")
            }
            let (deleted, _, _) = try await server.api.call(.DELETE, "/protos/ALFRED/slots/model", token: .some(nil))
            #expect(deleted == 401)
            #expect(server.image.memory.snapshot() == before)
            #expect(try server.image.history(limit: 1_000_000).count == changes)
        }
    }

    @Test func aRefusalOverTheAPIIsInTheAuditTrail() async throws {
        try await TestServer.with { server in
            let (status, json, _) = try await server.api.call(.PUT, "/protos/ROBIN/slots/python_tools", body: "{}")
            #expect(status == 403 && json["error"]?.stringValue?.contains("rule verified_slots") == true, "\(json)")
            let entry = try #require(try server.image.vetoes(proto: "ROBIN").last)
            #expect(entry.veto.rule == "verified_slots" && entry.veto.author == .architect && entry.veto.subject == "slot:python_tools")
            #expect(entry.veto.evidence["path"] == "swap")
        }
    }

    @Test func aSentMethodCannotWriteTheCodex() async throws {
        try await TestServer.with { server in
            let (defined, _, _) = try await server.api.call(.PUT, "/protos/BRICK/methods/usurp", body: "self:set('codex', {role = 'king'}) return 1")
            #expect(defined == 200)
            let before = server.image.memory.snapshot()
            let (status, json, _) = try await server.api.call(.POST, "/protos/BRICK/send/usurp")
            #expect(status == 403)
            #expect(json["code"] == "vetoed")
            #expect(json["error"]?.stringValue?.contains("protected") == true)
            #expect(server.image.memory.snapshot() == before)
        }
    }
}
