import Foundation
import Scrapbook

// scrapbook-bench: recall and latency of the Scrapbook's IVF index on synthetic clustered
// embeddings, side by side with LanceDB's IVF_FLAT on the same vectors and queries.
//
//   swift run -c release --scratch-path .build-scrapbook scrapbook-bench [--count 100000] [--dim 768] [--large]

let options: BenchOptions
do {
    options = try BenchOptions(arguments: CommandLine.arguments)
} catch {
    FileHandle.standardError.write(Data("scrapbook-bench: \(error)\n".utf8))
    exit(2)
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
func seconds(since start: UInt64) -> Double { Double(now() - start) / 1e9 }
func format(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
func megabytes(_ bytes: Int) -> String { format(Double(bytes) / 1_048_576, 1) + " MiB" }

// A child run measures what loading the index costs, in a fresh process.
if let path = options.measureLoadPath {
    let before = ResidentMemory.bytes() ?? 0
    let started = now()
    let scrapbook = try Scrapbook.open(path: path, embedder: BenchEmbedder(data: nil))
    let loadSeconds = seconds(since: started)
    let after = ResidentMemory.bytes() ?? 0
    let report = await scrapbook.indexReport()
    print("{\"load_seconds\": \(loadSeconds), \"rss_delta\": \(after - before), \"vectors\": \(report.vectorCount), \"index_bytes\": \(report.memoryBytes)}")
    exit(0)
}

let k = 10
print("scrapbook-bench: \(options.count) vectors of dimension \(options.dimension), \(options.queries) queries, \(options.clusters) clusters (spread \(options.spread), seed \(options.seed))")
print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; queries run one at a time (one core)")

var started = now()
let data = ClusteredData(
    count: options.count, queryCount: options.queries, dimension: options.dimension,
    clusters: options.clusters, spread: options.spread, seed: options.seed)
print("generated data in \(format(seconds(since: started), 1)) s")

started = now()
let truth = GroundTruth.topK(data, k: k)
print("exact top-\(k) by brute force in \(format(seconds(since: started), 1)) s")

let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("scrapbook-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: workdir) }
let databasePath = workdir.appendingPathComponent("memory.sqlite").path

var configuration = ScrapbookConfiguration()
configuration.automaticRetraining = false
configuration.exactSearchThreshold = 1  // reindex() trains IVF whatever the size; queries before it scan exactly
configuration.embeddingBatchSize = 512
configuration.partitionCount = options.partitions
let scrapbook = try Scrapbook.open(path: databasePath, embedder: BenchEmbedder(data: data), configuration: configuration)

// Ingest through the public API (embed, SQLite transaction, in-memory index).
started = now()
var rowOfID: [MemoryID: Int] = [:]
rowOfID.reserveCapacity(options.count)
let chunk = 2_000
for start in stride(from: 0, to: options.count, by: chunk) {
    let rows = Array(start..<min(options.count, start + chunk))
    let memories = rows.map { NewMemory(text: "v\($0)", source: .document, createdAt: Date(timeIntervalSince1970: Double($0))) }
    let stored = try await scrapbook.add(memories)
    for (row, memory) in zip(rows, stored) { rowOfID[memory.id] = row }
}
let ingestSeconds = seconds(since: started)
print("added \(options.count) memories in \(format(ingestSeconds, 1)) s (\(Int(Double(options.count) / ingestSeconds)) per second)")

/// Recall@k and latencies of `nearest` over every query.
@MainActor
func measure(nprobe: Int?, queries: Int = data.queryCount) async throws -> (recall: Double, latency: LatencyStats) {
    var latencies: [Double] = []
    latencies.reserveCapacity(queries)
    var found = 0
    for qi in 0..<queries {
        let query = data.query(qi)
        let t0 = now()
        let hits = try await scrapbook.nearest(to: query, limit: k, nprobe: nprobe)
        latencies.append(Double(now() - t0) / 1e6)
        let expected = Set(truth[qi])
        found += hits.filter { expected.contains(rowOfID[$0.id] ?? -1) }.count
    }
    return (Double(found) / Double(queries * k), LatencyStats(latencies))
}

// Exact search, before any index: the brute-force reference point.
let exactQueries = min(data.queryCount, 100)
let exact = try await measure(nprobe: nil, queries: exactQueries)
print("exact scan (no index): recall \(format(exact.recall)), p50 \(format(exact.latency.p50)) ms, p99 \(format(exact.latency.p99)) ms over \(exactQueries) queries")

// Build the IVF index.
let build = try await scrapbook.reindex()
print("""
    IVF build: \(build.partitionCount) partitions over \(build.vectorCount) vectors in \(format(build.trainingSeconds, 2)) s \
    (k-means on \(min(build.vectorCount, build.partitionCount * configuration.trainingSamplesPerPartition)) samples, \
    \(configuration.kMeansIterations) iterations, then assignment and commit); \
    partitions \(build.smallestPartition)…\(build.largestPartition), imbalance \(format(build.imbalance, 2))
    """)
print("index memory: \(megabytes(build.memoryBytes)) = \(build.memoryBytes / max(1, build.vectorCount)) bytes per vector (raw vector: \(options.dimension * 4) bytes); peak RSS of this process so far \(megabytes(ResidentMemory.peakBytes() ?? 0)) (it also holds the generated data and the ground truth)")

// Warm-up, then every nprobe.
_ = try await measure(nprobe: 1, queries: min(50, data.queryCount))
var ours: [(nprobe: Int, recall: Double, latency: LatencyStats)] = []
for nprobe in options.nprobes where nprobe <= build.partitionCount {
    let result = try await measure(nprobe: nprobe)
    ours.append((nprobe, result.recall, result.latency))
}

// The full public search (vector query, ten memories read back from SQLite) at the default nprobe.
var apiLatencies: [Double] = []
for qi in 0..<data.queryCount {
    let t0 = now()
    _ = try await scrapbook.search(vector: data.query(qi), limit: k)
    apiLatencies.append(Double(now() - t0) / 1e6)
}
let api = LatencyStats(apiLatencies)

// Loading: a fresh process opens the database and rebuilds the in-memory index from it.
var loadLine = "load: not measured"
if let executable = Bundle.main.executablePath ?? CommandLine.arguments.first {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: executable)
    child.arguments = ["--measure-load", databasePath]
    let pipe = Pipe()
    child.standardOutput = pipe
    try child.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    child.waitUntilExit()
    struct Load: Decodable {
        var load_seconds: Double
        var rss_delta: Int
        var vectors: Int
        var index_bytes: Int
    }
    if let load = try? JSONDecoder().decode(Load.self, from: output) {
        loadLine = "load from the database file in a fresh process: \(format(load.load_seconds, 2)) s; resident memory +\(megabytes(load.rss_delta)) = \(load.rss_delta / max(1, load.vectors)) bytes per vector (index accounts \(load.index_bytes / max(1, load.vectors)))"
    }
}
print(loadLine)
let fileBytes = (try? FileManager.default.attributesOfItem(atPath: databasePath)[.size] as? Int) ?? 0
print("database file: \(megabytes(fileBytes)) (\(fileBytes / options.count) bytes per memory)")

// LanceDB on the same data.
var lance = LanceDBBaseline.Result(error: "skipped (--no-lancedb)")
if options.lancedb {
    let baseline = LanceDBBaseline(options: options)
    let dataFile = workdir.appendingPathComponent("vectors.bin")
    try LanceDBBaseline.writeData(data, truth: truth, k: k, to: dataFile)
    print("running LanceDB (\(baseline.python) \(baseline.script)) …")
    lance = baseline.run(
        dataFile: dataFile, partitions: build.partitionCount, nprobes: ours.map(\.nprobe),
        workdir: workdir.appendingPathComponent("lancedb"))
}
if let error = lance.error {
    print("LanceDB: not available — \(error)")
} else {
    print("LanceDB \(lance.lancedb_version ?? "?") IVF_FLAT (\(lance.metric ?? "?")): build \(format(lance.build_seconds ?? 0, 2)) s (+ \(format(lance.write_seconds ?? 0, 2)) s to write the table); exact-search sanity recall \(format(lance.exact_sanity_recall ?? 0, 2))")
}

// The table.
let lanceRows = Dictionary(uniqueKeysWithValues: (lance.results ?? []).map { ($0.nprobe, $0) })
print("")
print("recall@\(k) and per-query latency (ms), \(data.queryCount) queries, \(build.partitionCount) partitions")
print([pad("nprobe", 6), pad("recall", 8), pad("p50", 8), pad("p99", 8), "  |", pad("LanceDB recall", 15), pad("p50", 8), pad("p99", 8)].joined(separator: " "))
for row in ours {
    var line = [pad(String(row.nprobe), 6), pad(format(row.recall), 8), pad(format(row.latency.p50), 8), pad(format(row.latency.p99), 8), "  |"]
    if let l = lanceRows[row.nprobe] {
        line += [pad(format(l.recall), 15), pad(format(l.p50_ms), 8), pad(format(l.p99_ms), 8)]
    } else {
        line += [pad("—", 15), pad("—", 8), pad("—", 8)]
    }
    print(line.joined(separator: " "))
}
print("full search(vector:) at the default nprobe \(build.nprobe), with SQLite reads: p50 \(format(api.p50)) ms, p99 \(format(api.p99)) ms")

// Verdicts.
if let target = ours.first(where: { $0.recall >= 0.95 }) {
    let ok = target.latency.p50 <= 5
    print("target recall@10 ≥ 0.95 with p50 ≤ 5 ms: \(ok ? "met" : "NOT met") at nprobe \(target.nprobe) (recall \(format(target.recall)), p50 \(format(target.latency.p50)) ms)")
} else {
    print("target recall@10 ≥ 0.95: NOT reached with nprobe ≤ \(ours.last?.nprobe ?? 0)")
}
for l in (lance.results ?? []) {
    guard let match = ours.first(where: { $0.recall >= l.recall }) else {
        print("vs LanceDB nprobe \(l.nprobe) (recall \(format(l.recall))): no nprobe of ours reaches that recall")
        continue
    }
    let verdict = match.latency.p50 <= l.p50_ms ? "ours faster or equal" : "LanceDB faster"
    print("vs LanceDB nprobe \(l.nprobe) (recall \(format(l.recall)), p50 \(format(l.p50_ms)) ms): ours at nprobe \(match.nprobe) recall \(format(match.recall)), p50 \(format(match.latency.p50)) ms — \(verdict)")
}
