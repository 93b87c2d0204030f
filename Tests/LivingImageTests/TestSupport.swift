import Foundation
import Testing
@testable import LivingImage

/// A temporary directory removed when the test ends.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Small limits so the bad-input tests finish quickly.
let testLimits = RunLimits(memoryBytes: 16 << 20, instructions: 5_000_000, wallClockSeconds: 60, maxSendDepth: 32)

/// Opens a fresh image (genesis) in a temporary directory for the duration of `body`.
func withImage<T>(primitives: [HostPrimitive] = [], interpreters: Int = 1,
                  _ body: (Image, TemporaryDirectory) async throws -> T) async throws -> T {
    let dir = TemporaryDirectory()
    let image = try await Image.open(at: dir.path("test.image"), primitives: primitives,
                                     interpreters: interpreters, limits: testLimits)
    defer { image.close() }
    return try await body(image, dir)
}

/// Expects `body` to throw an ImageError with `code`; returns it.
@discardableResult
func expectImageError<T>(_ code: ImageError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                         _ body: () async throws -> T) async -> ImageError? {
    do {
        let value = try await body()
        Issue.record("expected \(code), got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as ImageError {
        #expect(error.code == code, "\(error.description)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected ImageError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Everything observable about an image: the protos and the length of the change log.
struct ImageFingerprint: Equatable {
    let protos: ProtoTable
    let changes: Int

    init(_ image: Image) throws {
        protos = image.memory.snapshot()
        changes = try image.history(limit: 1_000_000).count
    }
}
