import Foundation
import Inference

/// Measures the model layer: model loads per call sequence by policy, and streaming parse throughput.
@main
struct InferenceBench {
    static func main() async throws {
        let quick = CommandLine.arguments.contains("--quick")
        print("inference-bench — against a4ps-scripted-server on loopback (scripted answers, no real model)")
        print("")
        print("(a) Model loads per call sequence, 8 GB budget; sizes mistral 4.5, phi3-mini 2.5, llama3.1 5.0, gemma2 5.5, nomic 0.3 GB")
        let scheduling = try await SchedulingBenchmark().run()
        let header = ["sequence", "calls", "sequential", "budget", "plain LRU", "Belady", "optimum", "server loads", "peak GB", "budget ms"]
        var table = [header]
        for row in scheduling {
            table.append([
                row.name, "\(row.calls)", "\(row.sequential)", "\(row.budget)", "\(row.plainLRU)", "\(row.belady)", "\(row.optimum)",
                "\(row.serverLoadsBudget)", String(format: "%.1f", row.peakGB), String(format: "%.0f", row.budgetMillis),
            ])
        }
        printTable(table)
        for row in scheduling where row.budget != row.optimum {
            print("  note: on '\(row.name)' the budget policy needs \(row.budget) loads where the optimum is \(row.optimum)")
        }
        print("  'budget' is measured (ModelManager against the scripted server); 'plain LRU', 'Belady' (furthest next use)")
        print("  and 'optimum' (exact, dynamic programming over resident sets) are computed offline from the known sequence.")
        print("  budget equals the optimum on \(scheduling.filter { $0.budget == $0.optimum }.count) of \(scheduling.count) sequences;"
              + " 'server loads' and 'peak GB' are the scripted server's own counts for the budget run.")
        print("")
        let tokens = quick ? 20_000 : 200_000
        print("(b) Client-side streaming throughput, zero token delay, \(tokens) chunks per answer, best of 3")
        let throughput = try await ThroughputBenchmark(tokens: tokens, runs: 3).run()
        var rates = [["path", "chunks", "seconds", "chunks/s", "target 50,000/s"]]
        for row in throughput {
            rates.append([row.name, "\(row.chunks)", String(format: "%.3f", row.seconds), String(format: "%.0f", row.rate), row.rate >= 50_000 ? "met" : "NOT met"])
        }
        printTable(rates)
    }

    static func printTable(_ rows: [[String]]) {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for (index, row) in rows.enumerated() {
            let cells = row.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }
            print("  " + cells.joined(separator: "  "))
            if index == 0 { print("  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
    }
}
