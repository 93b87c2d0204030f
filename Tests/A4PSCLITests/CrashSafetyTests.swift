import Foundation
import TestWaiting
import Synchronization
import Testing
@testable import LivingImage

/// Kills a real `a4ps batch` process with SIGKILL at random moments while it commits a stream
/// of method definitions and slot writes, then checks every acknowledged change survived and
/// nothing is half-applied.
@Suite struct CrashSafetyTests {
    @Test func sigkillNeverLosesACommittedChangeNorLeavesOneHalfApplied() async throws {
        signal(SIGPIPE, SIG_IGN)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("crash.image").path
        try await Image.open(at: path).close()

        var totalAcknowledged = 0
        let rounds = 24
        for round in 0..<rounds {
            let (count, delay) = (Int.random(in: 1...60), Int.random(in: 0...40))
            let acknowledged = try await CLIProcess.offload {
                try runAndKill(path: path, round: round, acknowledgements: count, thenMilliseconds: delay)
            }
            totalAcknowledged += acknowledged.count
            try await verify(path: path, acknowledged: acknowledged, round: round)
        }
        #expect(totalAcknowledged > rounds * 5, "the process committed too little to make the test meaningful")
    }

    /// A command sent to the batch process and what it must leave in the image once acknowledged.
    enum Effect: Sendable {
        case method(proto: String, selector: String, source: String)
        case slot(proto: String, slot: String, atLeast: Int)
        case counter(proto: String, slot: String, atLeast: Int)
    }

    private func command(round: Int, index: Int) -> (String, Effect) {
        let protos = ["BRICK", "ROBIN", "BABS"]
        let proto = protos[index % protos.count]
        switch index % 3 {
        case 0:
            let source = "-- round \(round) step \(index)\nreturn \(index) + (args or 0)"
            let cmd: JSONValue = ["id": .integer(Int64(index)), "op": "define", "proto": .string(proto),
                                  "selector": .string("m\(round)_\(index)"), "source": .string(source)]
            return (cmd.jsonText, .method(proto: proto, selector: "m\(round)_\(index)", source: source))
        case 1:
            let cmd: JSONValue = ["id": .integer(Int64(index)), "op": "set", "proto": .string(proto),
                                  "slot": .string("s\(round)"), "value": .integer(Int64(index))]
            return (cmd.jsonText, .slot(proto: proto, slot: "s\(round)", atLeast: index))
        default:
            let cmd: JSONValue = ["id": .integer(Int64(index)), "op": "send", "proto": "BRICK", "selector": "bump"]
            return (cmd.jsonText, .counter(proto: "BRICK", slot: "bumps", atLeast: 0))
        }
    }

    /// Runs `a4ps batch`, feeds it commands until it is killed, and returns the effects it acknowledged.
    private func runAndKill(path: String, round: Int, acknowledgements: Int, thenMilliseconds delay: Int) throws -> [Effect] {
        let process = ChildProcess()
        process.executableURL = CLIProcess.executable
        process.arguments = ["batch", "--image", path]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()

        let bumpSource = "self:set('bumps', (self:get('bumps') or 0) + 1) return self:get('bumps')"
        let setup: JSONValue = ["id": -1, "op": "define", "proto": "BRICK", "selector": "bump", "source": .string(bumpSource)]
        var effects: [Int: Effect] = [:]
        var lines = [setup.jsonText]
        for index in 0..<5000 {
            let (line, effect) = command(round: round, index: index)
            effects[index] = effect
            lines.append(line)
        }
        let script = lines
        let writer = Thread {
            for line in script {
                do { try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8)) } catch { return }
            }
        }
        writer.start()

        let received = Mutex<Data>(Data())
        let reader = Thread {
            while true {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { return }
                received.withLock { $0.append(chunk) }
            }
        }
        reader.start()

        // Kill at a random moment after the process has acknowledged a random number of commands
        // (so each round is meaningful however fast the machine is), or at a generous deadline.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning,
              received.withLock({ $0.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 } }) < acknowledgements {
            Thread.sleep(forTimeInterval: 0.002)
        }
        Thread.sleep(forTimeInterval: Double(delay) / 1000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        while reader.isExecuting { Thread.sleep(forTimeInterval: 0.01) }

        let text = received.withLock { String(decoding: $0, as: UTF8.self) }
        var acknowledged: [Effect] = []
        var bumps = 0
        // Only whole lines count: a line cut by the kill was never fully reported.
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            guard let result = try? JSONValue(parsing: String(line)), result["ok"] == true,
                  case .integer(let id) = result["id"], id >= 0, let effect = effects[Int(id)] else { continue }
            if case .counter(let proto, let slot, _) = effect {
                bumps += 1
                acknowledged.append(.counter(proto: proto, slot: slot, atLeast: bumps))
            } else {
                acknowledged.append(effect)
            }
        }
        return acknowledged
    }

    private func verify(path: String, acknowledged: [Effect], round: Int) async throws {
        let image = try await Image.open(at: path, create: false)
        defer { image.close() }
        let protos = image.memory.snapshot()
        for effect in acknowledged {
            switch effect {
            case .method(let proto, let selector, let source):
                #expect(protos[proto]?.methods[selector]?.source == source, "round \(round): lost \(proto)>>\(selector)")
            case .slot(let proto, let slot, let atLeast):
                let value = protos[proto]?.slots[slot]?.doubleValue ?? -1
                #expect(value >= Double(atLeast), "round \(round): \(proto).\(slot) = \(value), acknowledged \(atLeast)")
            case .counter(let proto, let slot, let atLeast):
                let value = protos[proto]?.slots[slot]?.doubleValue ?? -1
                #expect(value >= Double(atLeast), "round \(round): \(proto).\(slot) = \(value), acknowledged \(atLeast) bumps")
            }
        }
        // Nothing half-applied: every proto is exactly what its change log says, and its
        // version counts its changes.
        for (name, proto) in protos {
            let changes = try image.history(proto: name, limit: 1_000_000)
            #expect(Int64(changes.count) == proto.version, "round \(round): \(name) v\(proto.version) has \(changes.count) changes")
            let rebuilt = try #require(try image.memory.store.state(of: name, afterChange: changes.last!.id))
            #expect(rebuilt.slots == proto.slots, "round \(round): \(name) slots differ from its change log")
            #expect(rebuilt.methods.mapValues(\.source) == proto.methods.mapValues(\.source), "round \(round): \(name) methods differ")
            #expect(rebuilt.parent == proto.parent && rebuilt.codex == proto.codex)
        }
    }
}
