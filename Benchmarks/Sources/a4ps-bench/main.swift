// Benchmarks of the living image (issue 2), with the seeds' Python design (dill) side by side.
// Run with `Benchmarks/run` (or `swift run -c release a4ps-bench [--quick]`).
import A4PS
import Foundation
import LivingImage

let quick = CommandLine.arguments.contains("--quick")
let work = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}
func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
func fmt(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }

/// Builds an image of `count` protos × `methods` methods each (plus genesis), in one transaction.
func makeImage(_ name: String, protos count: Int, methods: Int) async throws -> Image {
    let image = try await Image.open(at: work.appendingPathComponent(name).path, interpreters: 1)
    var protos: [Proto] = []
    for i in 0..<count {
        var p = Proto(name: "P\(i)", parent: "Persona", slots: ["index": .integer(Int64(i)), "note": "bench proto"],
                      codex: ["role": "bench", "principles": ["one", "two"]])
        for m in 0..<methods { p.define("m\(m)", source: "-- Method \(m) of P\(i).\nreturn (args or 0) + \(m)") }
        protos.append(p)
    }
    try await image.memory.create(protos, author: .system, reason: "bench")
    return image
}

print("A4PS living image benchmarks\(quick ? " (quick)" : "")  —  \(ProcessInfo.processInfo.activeProcessorCount) cores")
print(String(repeating: "-", count: 78))

// 1. Message sends per second to a trivial Lua method (warm).
do {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let image = try await Image.open(at: work.appendingPathComponent("sends.image").path, interpreters: cores)
    try await image.defineMethod("inc", on: "BRICK", source: "return args + 1")
    for i in 0..<1000 { _ = try await image.send("BRICK", "inc", .integer(Int64(i))) }   // warm
    let n = quick ? 50_000 : 300_000
    let clock = ContinuousClock()
    // Top-level code runs on the main actor; a real caller (server, CLI task) does not.
    let one = try await Task.detached {
        try await clock.measure {
            for i in 0..<n { _ = try await image.send("BRICK", "inc", .integer(Int64(i))) }
        }
    }.value
    let perTask = n / cores
    let all = try await clock.measure {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<cores {
                group.addTask { for i in 0..<perTask { _ = try await image.send("BRICK", "inc", .integer(Int64(i))) } }
            }
            try await group.waitForAll()
        }
    }
    let oneRate = Double(n) / (ms(one) / 1000)
    let allRate = Double(perTask * cores) / (ms(all) / 1000)
    print("1. sends/s to `return args + 1` (warm)")
    print("   one task:        \(fmt(oneRate, 0)) sends/s   (\(fmt(ms(one) * 1000 / Double(n), 2)) µs/send)   target ≥ 100,000")
    print("   \(cores) tasks (\(cores) VMs): \(fmt(allRate, 0)) sends/s")
    image.close()
}

// 2. Persisting one change (define a method), durable commits, vs. image size.
var ourPersist: [Int: Double] = [:]
do {
    print("2. persist one change (define a method; WAL, synchronous=FULL)")
    for count in [100, 10_000] {
        let image = try await makeImage("persist\(count).image", protos: count, methods: 2)
        let repeats = quick ? 100 : 400
        var samples: [Double] = []
        let clock = ContinuousClock()
        for r in 0..<repeats {
            let d = try await clock.measure {
                try await image.defineMethod("changing", on: "P\(r % count)", source: "return \(r)")
            }
            samples.append(ms(d))
        }
        ourPersist[count] = median(samples)
        print("   \(count) protos: median \(fmt(median(samples), 3)) ms   p90 \(fmt(percentile(samples, 0.9), 3)) ms   p99 \(fmt(percentile(samples, 0.99), 3)) ms   target ≤ 2 ms")
        image.close()
    }
    if let small = ourPersist[100], let large = ourPersist[10_000] {
        print("   growth 100 → 10,000 protos: ×\(fmt(large / small))   (must not grow with image size)")
    }
}

// 3. Opening an image of 1,000 protos × 20 methods.
var ourOpen = 0.0
do {
    let path = work.appendingPathComponent("open.image").path
    try await makeImage("open.image", protos: 1000, methods: 20).close()
    var samples: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<(quick ? 5 : 15) {
        var opened: Image?
        let d = try await clock.measure { opened = try await Image.open(at: path, create: false) }
        samples.append(ms(d))
        opened?.close()
    }
    ourOpen = median(samples)
    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print("3. open an image of 1,000 protos × 20 methods (\(size / 1024) KiB, integrity check included)")
    print("   median \(fmt(ourOpen, 1)) ms   (min \(fmt(samples.min()!, 1)), max \(fmt(samples.max()!, 1)))   target ≤ 300 ms")
}

// 4. The seeds' own design: Proto/ProtoManager pickled whole with dill.
do {
    print("4. baseline: seeds 000/004 Proto + ProtoManager saved/loaded with dill (whole-image dump)")
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let script = here.appendingPathComponent("baseline/dill_image.py").path
    let venvPython = here.appendingPathComponent(".venv/bin/python").path
    let python = FileManager.default.isExecutableFile(atPath: venvPython) ? venvPython : "/usr/bin/env"
    var results: [String: JSONValue] = [:]
    for (count, methods) in [(100, 2), (10_000, 2), (1000, 20)] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = (python == "/usr/bin/env" ? ["python3"] : []) + [script, "--protos", "\(count)", "--methods", "\(methods)",
                             "--repeat", quick ? "3" : "7", "--dir", work.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let json = try? JSONValue(parsing: String(decoding: data, as: UTF8.self)) else {
            print("   (baseline unavailable: run `Benchmarks/run`, which installs dill into Benchmarks/.venv)")
            break
        }
        results["\(count)x\(methods)"] = json
    }
    if let p100 = results["100x2"]?["persist_ms"]?.doubleValue, let p10k = results["10000x2"]?["persist_ms"]?.doubleValue,
       let load = results["1000x20"]?["load_ms"]?.doubleValue, let fsync100 = results["100x2"]?["persist_fsync_ms"]?.doubleValue,
       let fsync10k = results["10000x2"]?["persist_fsync_ms"]?.doubleValue {
        print("   persist one change, 100 protos:    dill \(fmt(p100, 3)) ms (+fsync \(fmt(fsync100, 3)) ms)   ours \(fmt(ourPersist[100]!, 3)) ms   ours/theirs(fsync) = \(String(format: "%.3g", ourPersist[100]! / fsync100))")
        print("   persist one change, 10,000 protos: dill \(fmt(p10k, 3)) ms (+fsync \(fmt(fsync10k, 3)) ms)   ours \(fmt(ourPersist[10_000]!, 3)) ms   ours/theirs(fsync) = \(String(format: "%.3g", ourPersist[10_000]! / fsync10k))")
        print("   load 1,000 protos × 20 methods:    dill \(fmt(load, 1)) ms   ours (open) \(fmt(ourOpen, 1)) ms   ours/theirs = \(fmt(ourOpen / load, 3))")
    }
}

// 5. Orchestration cost of one deliberation (5 turns), checkpoints included, with an instant model.
do {
    print("5. one deliberation of the genesis workflow (BABS, 5 × BRICK/ROBIN, dissonance, ALFRED, memory), instant model")
    let instant: [HostPrimitive] = [
        HostPrimitive(name: "think") { args, _ in
            let schema = args.count > 1 ? args[1]["schema"] : nil
            if schema?["properties"]?["thoughts"] != nil { return ["thoughts": [["text": "a"], ["text": "b"], ["text": "c"]]] }
            if schema?["properties"]?["scores"] != nil {
                return ["scores": [["viability": 5, "alignment": 5]], "answer": "not yet", "agree": false]
            }
            return "OK."
        },
        HostPrimitive(name: "embed") { _, _ in [[1, 0, 0, 0], [0, 1, 0, 0]] },
        HostPrimitive(name: "memory.search") { _, _ in [["text": "a fact", "source": "document", "score": 1], ["text": "another", "source": "document", "score": 0.5]] },
        HostPrimitive(name: "memory.add") { _, _ in 1 },
        GraphRunner.interruptPrimitive,
    ]
    let image = try await Image.open(at: work.appendingPathComponent("deliberation.image").path, primitives: instant, interpreters: 1)
    let runner = try GraphRunner(image: image)
    let state: JSONValue = ["task": "How should the image stay fast?", "max_turns": 5, "dissonance_threshold": 0.8]
    for _ in 0..<5 { _ = try await runner.start(graph: "ALFRED.deliberation", state: state) }
    var samples: [Double] = []
    let clock = ContinuousClock()
    let runs = quick ? 50 : 200
    var steps = 0
    for _ in 0..<runs {
        var run: RunRecord?
        let d = try await Task.detached { try await clock.measure { run = try await runner.start(graph: "ALFRED.deliberation", state: state) } }.value
        samples.append(ms(d))
        steps = run?.step ?? 0
    }
    let ours = median(samples)
    print("   ours: median \(fmt(ours, 3)) ms   p90 \(fmt(percentile(samples, 0.9), 3)) ms   (\(steps) nodes, \(steps + 1) checkpoints, durable commits)")
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let venvPython = here.appendingPathComponent(".venv/bin/python").path
    let script = here.appendingPathComponent("baseline/langgraph_deliberation.py").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: venvPython)
    process.arguments = [script, "--runs", quick ? "50" : "200"]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    if FileManager.default.isExecutableFile(atPath: venvPython), (try? process.run()) != nil {
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if let theirs = try? JSONValue(parsing: String(decoding: data, as: UTF8.self)),
           let median = theirs["per_deliberation_ms_median"]?.doubleValue {
            print("   LangGraph \(theirs["langgraph_version"]?.stringValue ?? "?") + SqliteSaver (seed 001 graph, instant model): median \(fmt(median, 3)) ms, "
                + "CPU \(fmt(theirs["cpu_ms_median"]?.doubleValue ?? 0, 3)) ms, \(theirs["nodes_per_deliberation"]?.intValue ?? 0) nodes")
            print("   ours/theirs = \(fmt(ours / median, 3))   target ≤ 0.5")
        } else {
            print("   (LangGraph baseline failed: run `Benchmarks/run`, which installs it into Benchmarks/.venv)")
        }
    } else {
        print("   (LangGraph baseline unavailable: run `Benchmarks/run`, which installs it into Benchmarks/.venv)")
    }
    image.close()
}

// 6. Verifying a forge candidate: a Lua method with 10 tests, each run in a fresh trial clone.
do {
    print("6. verify a candidate Lua method with 10 tests on a fresh clone (sandboxed VM, nothing committed)")
    let image = try await Image.open(at: work.appendingPathComponent("verify.image").path, interpreters: 1)
    let samples = try await Task.detached { () async throws -> [Double] in
        var samples: [Double] = []
        let clock = ContinuousClock()
        for round in 0..<(quick ? 50 : 300) {
            let d = try await clock.measure {
                var clone = image.memory.proto(named: "BRICK")!.clone()
                clone.define("double", source: "-- doubles n (round \(round))\nreturn args.n * 2")
                for t in 0..<10 { clone.define("__test_\(t)", source: "assert(self:send('double', {n = \(t)}) == \(2 * t))") }
                for t in 0..<10 { _ = try await image.trial(clone, "BRICK", "__test_\(t)") }
            }
            samples.append(ms(d))
        }
        return samples
    }.value
    print("   median \(fmt(median(samples), 3)) ms   p90 \(fmt(percentile(samples, 0.9), 3)) ms   (compile + 10 trial sends)")
    image.close()
}
