import Foundation

/// Runs Benchmarks/baseline/lancedb_ivf.py on the same vectors, queries and exact answers, and reads its JSON.
struct LanceDBBaseline {
    struct Row: Decodable {
        var nprobe: Int
        var recall: Double
        var p50_ms: Double
        var p99_ms: Double
        var mean_ms: Double
    }

    struct Result: Decodable {
        var lancedb_version: String?
        var build_seconds: Double?
        var write_seconds: Double?
        var exact_sanity_recall: Double?
        var metric: String?
        var results: [Row]?
        var error: String?
    }

    let python: String
    let script: String

    init(options: BenchOptions) {
        script = options.baselineScript
        if let python = options.python {
            self.python = python
        } else if FileManager.default.isExecutableFile(atPath: "Benchmarks/.venv/bin/python") {
            python = "Benchmarks/.venv/bin/python"
        } else {
            python = "/usr/bin/env"
        }
    }

    /// Writes the data file: b"SBV1", n, dim, nq, k (uint32), vectors, queries (float32), exact ids (int64).
    static func writeData(_ data: ClusteredData, truth: [[Int]], k: Int, to url: URL) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var header = Data("SBV1".utf8)
        for value in [data.count, data.dimension, data.queryCount, k] {
            withUnsafeBytes(of: UInt32(value).littleEndian) { header.append(contentsOf: $0) }
        }
        try handle.write(contentsOf: header)
        try data.vectors.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        try data.queries.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        let ids = truth.flatMap { $0.map { Int64($0).littleEndian } }
        try ids.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
    }

    func run(dataFile: URL, partitions: Int, nprobes: [Int], workdir: URL) -> Result {
        guard FileManager.default.fileExists(atPath: script) else {
            return Result(error: "\(script) not found: run scrapbook-bench from the repository root")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        var arguments = [
            script, "--data", dataFile.path, "--partitions", String(partitions),
            "--nprobes", nprobes.map(String.init).joined(separator: ","), "--workdir", workdir.path,
        ]
        if python == "/usr/bin/env" { arguments.insert("python3", at: 0) }
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LANCEDB_LOG"] = environment["LANCEDB_LOG"] ?? "error"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            return Result(error: "cannot start \(python): \(error)")
        }
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lastLine = String(decoding: bytes, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard let result = try? JSONDecoder().decode(Result.self, from: Data(lastLine.utf8)) else {
            return Result(error: "the LanceDB script exited with status \(process.terminationStatus) and no result (see its output above)")
        }
        return result
    }
}

extension LanceDBBaseline.Result {
    init(error: String) {
        self.init(lancedb_version: nil, build_seconds: nil, write_seconds: nil, exact_sanity_recall: nil, metric: nil, results: nil, error: error)
    }
}
