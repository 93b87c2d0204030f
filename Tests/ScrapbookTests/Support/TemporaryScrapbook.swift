import Foundation
import GRDB
import Scrapbook
import Testing

/// A directory under the system temp folder, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("scrapbook-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var databasePath: String { url.appendingPathComponent("memory.sqlite").path }

    func file(_ name: String, contents: Data) throws -> URL {
        let file = url.appendingPathComponent(name)
        try contents.write(to: file)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Runs `body` with a temporary directory that is removed afterwards, whatever happens.
func withTemporaryDirectory<T>(_ body: (TemporaryDirectory) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try await body(directory)
}

/// A configuration small enough for tests: IVF from `threshold` vectors on.
func testConfiguration(threshold: Int = 10_000, batch: Int = 16) -> ScrapbookConfiguration {
    var configuration = ScrapbookConfiguration()
    configuration.exactSearchThreshold = threshold
    configuration.embeddingBatchSize = batch
    configuration.kMeansIterations = 8
    return configuration
}

/// Expects `body` to throw a ScrapbookError with `code`; returns it for further checks.
@discardableResult
func expectScrapbookError<T>(
    _ code: ScrapbookError.Code, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> ScrapbookError? {
    do {
        _ = try await body()
        Issue.record("expected ScrapbookError \(code), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as ScrapbookError {
        #expect(error.code == code, "got \(error.code): \(error.message)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected ScrapbookError \(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Deterministic clustered unit vectors: `clusters` random centers, points spread around them.
func clusteredVectors(count: Int, dimension: Int, clusters: Int, spread: Float, seed: UInt64) -> [[Float]] {
    var random = SeededGenerator(seed: seed)
    let centers = (0..<clusters).map { _ in (0..<dimension).map { _ in random.nextGaussian() } }
    return (0..<count).map { i in
        let center = centers[i % clusters]
        return normalize(center.map { $0 + spread * random.nextGaussian() })
    }
}

func normalize(_ v: [Float]) -> [Float] {
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return v.map { $0 / norm }
}

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    var dot: Float = 0
    for i in a.indices { dot += a[i] * b[i] }
    return dot
}

/// The exact top-k ids by cosine similarity, computed the slow obvious way.
func bruteForceTop(_ query: [Float], in vectors: [[Float]], ids: [MemoryID], k: Int) -> [MemoryID] {
    let q = normalize(query)
    return zip(ids, vectors).map { ($0, cosine(q, $1)) }.sorted { $0.1 > $1.1 }.prefix(k).map(\.0)
}

