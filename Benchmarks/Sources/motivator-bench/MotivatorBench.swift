import A4PS
import Foundation
import Inference
import LivingImage
import ScriptedModelServer

/// The motivator's costs (issue: the autotelic motivator), in one run:
/// - latency from an event on the image's bus to its goal being queued in the image file (p50/p99),
///   against the named baseline: the bus alone delivering the same event to a subscriber;
/// - CPU used by a runtime whose motivator is running but idle, against the same runtime with the
///   motivator off (`[motivator] enabled = false`): it must be ~0 — no polling loop.
@main
struct MotivatorBench {
    static func main() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("motivator-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = ScriptedModelServer(script: Script())
        let url = try await server.start()
        defer { Task { await server.stop() } }
        let events = Int(ProcessInfo.processInfo.environment["MOTIVATOR_BENCH_EVENTS"] ?? "") ?? 300
        let idleSeconds = Double(ProcessInfo.processInfo.environment["MOTIVATOR_BENCH_IDLE_SECONDS"] ?? "") ?? 10

        func runtime(enabled: Bool, name: String) async throws -> Runtime {
            var config = A4PSConfig(environment: ["OLLAMA_HOST": url])
            config.choosesModelServers = true
            config.motivator.enabled = enabled
            config.motivator.goalsPerHour = 1_000_000
            return try await Runtime.open(imagePath: dir.appendingPathComponent(name).path, config: config, announce: { _ in })
        }

        // Latency: event published → goal queued (ALFRED's goalFor in Lua, the goal written to the image file).
        let live = try await runtime(enabled: true, name: "latency.image")
        let watch = live.image.events.subscribe()
        var bus: [Double] = []
        var queued: [Double] = []
        var iterator = watch.makeAsyncIterator()
        for i in 0..<events {
            let payload: JSONValue = ["task": .string("Benchmark task number \(i) about the tide tables"), "brick": "a", "robin": "b", "score": 0.9]
            let start = ContinuousClock.now
            live.image.events.publish(.emitted(proto: "ALFRED", name: "cognitive_dissonance", payload: payload))
            var sawBus = false
            while let event = await iterator.next() {
                guard case .emitted(_, let name, _) = event else { continue }
                if name == "cognitive_dissonance", !sawBus {
                    bus.append(seconds(ContinuousClock.now - start))
                    sawBus = true
                } else if name == "motivator.goal.queued" {
                    queued.append(seconds(ContinuousClock.now - start))
                    break
                }
            }
        }
        let goals = try live.motivator.store.goals(limit: events + 10).count
        await live.shutdown()
        print("motivator-bench: \(events) cognitive_dissonance events → \(goals) goals queued")
        print(String(format: "  event → goal queued: p50 %.2f ms, p99 %.2f ms", percentile(queued, 0.5) * 1000, percentile(queued, 0.99) * 1000))
        print(String(format: "  baseline, the bus alone: p50 %.3f ms, p99 %.3f ms  (ratio p50 ×%.0f)",
                     percentile(bus, 0.5) * 1000, percentile(bus, 0.99) * 1000, percentile(queued, 0.5) / max(percentile(bus, 0.5), 1e-9)))

        // Idle CPU: the motivator's run loop waiting (nothing to do), against the motivator off.
        for enabled in [false, true] {
            let idle = try await runtime(enabled: enabled, name: "idle-\(enabled).image")
            let loop = Task { await idle.motivator.run() }
            try await Task.sleep(for: .seconds(1))
            let (cpu0, wall0) = (cpuSeconds(), Date())
            try await Task.sleep(for: .seconds(idleSeconds))
            let used = cpuSeconds() - cpu0
            let wall = Date().timeIntervalSince(wall0)
            loop.cancel()
            await loop.value
            await idle.shutdown()
            print(String(format: "  idle %@: %.4f s CPU in %.1f s (%.3f %% of one core)", enabled ? "motivator running" : "baseline, motivator off",
                         used, wall, used / wall * 100))
        }
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
