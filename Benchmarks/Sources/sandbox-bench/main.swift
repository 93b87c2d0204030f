// Time to verify a candidate Python tool with 10 tests in a fresh sandbox, per runtime: bubblewrap,
// and gVisor as the tool runs it (`runsc run` of an OCI bundle staged for each run).
import ToolSandbox

let runs = 20
let tool = PythonTool(
    name: "word_stats",
    source: """
        def run(args):
            words = args["text"].split()
            return {"words": len(words), "longest": max(words, key=len) if words else None}
        """,
    tests: (1...10).map { index in
        """
        def test_case_\(index)():
            answer = run({"text": "w " * \(index) + "longest\(index)"})
            assert answer["words"] == \(index + 1), answer
            assert answer["longest"] == "longest\(index)", answer

        """
    }.joined()
)

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func measure(_ runtime: SandboxRuntime) async throws -> [Double] {
    let sandbox = PythonSandbox(runtime: runtime)
    let clock = ContinuousClock()
    var times: [Double] = []
    for _ in 0..<runs {
        let start = clock.now
        let report = try await sandbox.test(tool)
        times.append(milliseconds(clock.now - start))
        guard report.passed, report.cases.count == 10 else {
            fatalError("the candidate did not verify in \(runtime): \(report.feedback)")
        }
    }
    return times.sorted()
}

func report(_ runtime: SandboxRuntime) async {
    do {
        try PythonSandbox(runtime: runtime).checkAvailable()
    } catch {
        print("\(runtime): not measured — \(error)")
        return
    }
    do {
        let times = try await measure(runtime)
        let median = times[times.count / 2]
        let p90 = times[min(times.count - 1, Int((Double(times.count) * 0.9).rounded(.up)) - 1)]
        let line = "\(runtime): verify a Python tool with 10 tests in a fresh sandbox, \(runs) runs: "
            + "median \(String(format2: median)) ms, p90 \(String(format2: p90)) ms, "
            + "min \(String(format2: times.first!)) ms, max \(String(format2: times.last!)) ms"
        print(line)
    } catch {
        print("\(runtime): failed — \(error)")
    }
}

extension String {
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        self = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

await report(.bubblewrap)
await report(.gVisor())
