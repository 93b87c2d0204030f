import Foundation
import Scrapbook

// image-bench: what a big image costs a command that does not search memory, and what the first
// search by meaning costs a fresh process (issue 17). For each size, an image is made with
// `a4ps image init` and filled with synthetic 768-d memories (IVF index trained), then:
//   - `a4ps send BRICK describe` is timed as a whole process (median of --runs), against the same
//     command on an empty image: the ratio is what the image's size costs (target ≤ 1.2×);
//   - a child process opens the scrapbook in the image (time, resident memory) and runs one
//     vector search (time to first result, resident memory after it).
//
//   swift build -c release --product a4ps --product image-bench
//   .build/release/image-bench [--a4ps .build/release/a4ps] [--sizes 1000,100000] [--runs 5] [--dim 768]

struct ImageBenchOptions {
    var a4ps = ".build/release/a4ps"
    var sizes = [1_000, 100_000]
    var runs = 5
    var dimension = 768
    var measurePath: String?
    /// Keeps the images and the work folder (printed) for a closer look.
    var keep = false

    init(_ arguments: [String]) throws {
        var rest = arguments.dropFirst().makeIterator()
        while let argument = rest.next() {
            func value() throws -> String {
                guard let v = rest.next() else { throw BenchError("\(argument) needs a value") }
                return v
            }
            switch argument {
            case "--a4ps": a4ps = try value()
            case "--sizes": sizes = try value().split(separator: ",").compactMap { Int($0) }
            case "--runs": runs = Int(try value()) ?? 5
            case "--dim": dimension = Int(try value()) ?? 768
            case "--measure": measurePath = try value()
            case "--keep": keep = true
            default: throw BenchError("unknown option \(argument) (see the comment at the top of main.swift)")
            }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Deterministic pseudo-random unit vectors: the text "v17" embeds to vector 17 of the seed.
struct SyntheticEmbedder: Embedder {
    let modelName = "nomic-embed-text"
    let dimension: Int

    func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map { text in
            var state = UInt64(text.dropFirst()).map { $0 &* 0x9E37_79B9_7F4A_7C15 &+ 1 } ?? 42
            let v = (0..<dimension).map { _ -> Float in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
    }
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
func seconds(since start: UInt64) -> Double { Double(now() - start) / 1e9 }
func format(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}
func mib(_ bytes: Int) -> String { format(Double(bytes) / 1_048_576, 1) + " MiB" }

/// Runs a process to its end: wall seconds and exit status.
func runProcess(_ path: String, _ arguments: [String], in directory: URL) throws -> (seconds: Double, status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let started = now()
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (seconds(since: started), process.terminationStatus, String(decoding: output, as: UTF8.self))
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let options: ImageBenchOptions
do {
    options = try ImageBenchOptions(CommandLine.arguments)
} catch {
    FileHandle.standardError.write(Data("image-bench: \(error)\n".utf8))
    exit(2)
}

// A child run: open the scrapbook of an image in a fresh process, then search once.
if let path = options.measurePath {
    let base = residentBytes()
    var started = now()
    let scrapbook = try Scrapbook.open(path: path, embedder: SyntheticEmbedder(dimension: options.dimension))
    let openSeconds = seconds(since: started)
    let afterOpen = residentBytes()
    let query = try await SyntheticEmbedder(dimension: options.dimension).embed(["v7"])[0]
    // The first search, in two parts: reading the index's centroids and sizes, then the search
    // itself (which reads the partitions it probes).
    started = now()
    try await scrapbook.loadIndexIfNeeded()
    let indexSeconds = seconds(since: started)
    started = now()
    let hits = try await scrapbook.search(vector: query, limit: 10)
    let probeSeconds = seconds(since: started)
    let afterSearch = residentBytes()
    print("{\"open_s\": \(openSeconds), \"first_search_s\": \(indexSeconds + probeSeconds), \"index_s\": \(indexSeconds), \"probe_s\": \(probeSeconds), \"rss_open\": \(afterOpen - base), \"rss_search\": \(afterSearch - base), \"hits\": \(hits.count)}")
    exit(0)
}

guard FileManager.default.isExecutableFile(atPath: options.a4ps) else {
    FileHandle.standardError.write(Data("image-bench: no a4ps binary at \(options.a4ps): build it with `swift build -c release --product a4ps`, or pass --a4ps PATH\n".utf8))
    exit(2)
}
let a4ps = URL(fileURLWithPath: options.a4ps).standardizedFileURL.path
let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("image-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
defer { if !options.keep { try? FileManager.default.removeItem(at: workdir) } }
if options.keep { print("keeping \(workdir.path)") }
// No model server is needed for `send BRICK describe`: point the config at nothing reachable, fast.
try """
[inference]
connect_timeout_seconds = 1
""".write(to: workdir.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)

func makeImage(_ name: String, memories: Int) async throws -> String {
    let path = workdir.appendingPathComponent(name).path
    let made = try runProcess(a4ps, ["image", "init", "--image", path], in: workdir)
    guard made.status == 0 else { throw BenchError("a4ps image init failed: \(made.output)") }
    guard memories > 0 else { return path }
    var configuration = ScrapbookConfiguration()
    configuration.automaticRetraining = false
    configuration.embeddingBatchSize = 1_000
    let scrapbook = try Scrapbook.open(path: path, embedder: SyntheticEmbedder(dimension: options.dimension), configuration: configuration)
    let started = now()
    for start in stride(from: 0, to: memories, by: 5_000) {
        let batch = (start..<min(memories, start + 5_000)).map {
            NewMemory(text: "v\($0)", source: .document, createdAt: Date(timeIntervalSince1970: Double($0)))
        }
        try await scrapbook.add(batch)
    }
    let report = try await scrapbook.reindex()
    print("  \(memories) memories added and indexed (\(report.kind.rawValue), \(report.partitionCount) partitions) in \(format(seconds(since: started), 1)) s")
    return path
}

func sendOnce(_ image: String) throws -> Double {
    let run = try runProcess(a4ps, ["send", "BRICK", "describe", "--image", image], in: workdir)
    guard run.status == 0 else { throw BenchError("a4ps send BRICK describe failed: \(run.output)") }
    return run.seconds
}

/// Medians of `send` on the empty image and on `image`, runs alternating so that a busy moment
/// of the machine weighs on both alike.
func timeSend(_ image: String, against empty: String) throws -> (empty: Double, image: Double) {
    var (onEmpty, onImage): ([Double], [Double]) = ([], [])
    for _ in 0..<options.runs {
        onEmpty.append(try sendOnce(empty))
        onImage.append(try sendOnce(image))
    }
    return (median(onEmpty), median(onImage))
}

func measureChild(_ image: String) throws -> [String: Double] {
    let run = try runProcess(CommandLine.arguments[0], ["--measure", image, "--dim", String(options.dimension)], in: workdir)
    guard run.status == 0, let line = run.output.split(separator: "\n").last,
          let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double]
    else { throw BenchError("the measuring child failed: \(run.output)") }
    return json
}

print("image-bench: \(options.dimension)-d memories, sizes \(options.sizes.map(String.init).joined(separator: ", ")), \(options.runs) runs each; a4ps at \(a4ps)")
print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores")
let empty = try await makeImage("empty.image", memories: 0)
_ = try sendOnce(empty)   // warms the file cache for the binary
print("baseline: `a4ps send BRICK describe` on an empty image, runs alternating with the big image's (medians of \(options.runs))")
print("")
print("memories   file        empty (s)  send (s)  ×empty   open (s)  first search (s: index + probes)  RSS after open  RSS after search")
for size in options.sizes {
    let image = try await makeImage("image-\(size).image", memories: size)
    let bytes = ((try? FileManager.default.attributesOfItem(atPath: image))?[.size] as? NSNumber)?.intValue ?? 0
    let (baseline, send) = try timeSend(image, against: empty)
    let child = try measureChild(image)
    let row = [
        String(size).padding(toLength: 10, withPad: " ", startingAt: 0),
        mib(bytes).padding(toLength: 11, withPad: " ", startingAt: 0),
        format(baseline).padding(toLength: 10, withPad: " ", startingAt: 0),
        format(send).padding(toLength: 9, withPad: " ", startingAt: 0),
        (format(send / baseline, 2) + "×").padding(toLength: 8, withPad: " ", startingAt: 0),
        format(child["open_s"] ?? 0).padding(toLength: 9, withPad: " ", startingAt: 0),
        (format(child["first_search_s"] ?? 0) + " (\(format(child["index_s"] ?? 0, 2))+\(format(child["probe_s"] ?? 0, 2)))").padding(toLength: 17, withPad: " ", startingAt: 0),
        mib(Int(child["rss_open"] ?? 0)).padding(toLength: 15, withPad: " ", startingAt: 0),
        mib(Int(child["rss_search"] ?? 0)),
    ]
    print(row.joined(separator: " "))
    if !options.keep { try? FileManager.default.removeItem(atPath: image) }
}
print("target: send within 1.2× of the empty image at every size; first search at 1,000,000 memories ≤ 1 s")
