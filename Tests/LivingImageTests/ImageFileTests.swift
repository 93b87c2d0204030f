import Foundation
import GRDB
import Testing
@testable import LivingImage

/// Files that are not usable images are refused with a clear error and never modified.
@Suite struct ImageFileTests {
    func expectRefused(_ path: String, _ code: ImageError.Code, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        await expectImageError(code, sourceLocation: sourceLocation) { try await Image.open(at: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the file was modified", sourceLocation: sourceLocation)
    }

    @Test func aTextFileIsNotAnImage() async throws {
        let dir = TemporaryDirectory()
        try "hello, I am a text file\n".write(toFile: dir.path("notes.image"), atomically: true, encoding: .utf8)
        try await expectRefused(dir.path("notes.image"), .notAnImage)
        try Data().write(to: URL(fileURLWithPath: dir.path("empty.image")))
        try await expectRefused(dir.path("empty.image"), .notAnImage)
    }

    @Test func anotherSQLiteDatabaseIsNotAnImage() async throws {
        let dir = TemporaryDirectory()
        let queue = try DatabaseQueue(path: dir.path("other.db"))
        try await queue.write { try $0.execute(sql: "CREATE TABLE t(x); INSERT INTO t VALUES (1)") }
        try queue.close()
        try await expectRefused(dir.path("other.db"), .notAnImage)
    }

    @Test func truncatedAndCorruptImagesAreRefused() async throws {
        let dir = TemporaryDirectory()
        let path = dir.path("a.image")
        let image = try await Image.open(at: path)
        for i in 0..<50 { try await image.defineMethod("m\(i)", on: "BRICK", source: "return \(i) -- " + String(repeating: "x", count: 500)) }
        image.close()
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(original.count > 8192)

        try original.prefix(original.count / 2).write(to: URL(fileURLWithPath: dir.path("truncated.image")))
        try await expectRefused(dir.path("truncated.image"), .corruptImage)

        var damaged = original
        for i in stride(from: 4096, to: damaged.count, by: 97) { damaged[i] ^= 0x5A }
        try damaged.write(to: URL(fileURLWithPath: dir.path("damaged.image")))
        try await expectRefused(dir.path("damaged.image"), .corruptImage)
    }

    @Test func anImageFromANewerSchemaIsRefused() async throws {
        let dir = TemporaryDirectory()
        let path = dir.path("future.image")
        try await Image.open(at: path).close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('image.v99')") }
        try queue.close()
        let error = try await expectRefusedReturning(path, .newerSchema)
        #expect(error?.description.contains("upgrade a4ps") == true)
    }

    @Test func aMissingImageIsCreatedOnlyWhenAsked() async throws {
        let dir = TemporaryDirectory()
        await expectImageError(.fileMissing) { try await Image.open(at: dir.path("none.image"), create: false) }
        #expect(!FileManager.default.fileExists(atPath: dir.path("none.image")))
    }

    @Test func otherModulesMigrationsDoNotCountAsNewer() async throws {
        let dir = TemporaryDirectory()
        let path = dir.path("shared.image")
        try await Image.open(at: path).close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('scrapbook.v1')") }
        try queue.close()
        let image = try await Image.open(at: path, create: false)
        image.close()
    }

    func expectRefusedReturning(_ path: String, _ code: ImageError.Code) async throws -> ImageError? {
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = await expectImageError(code) { try await Image.open(at: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        return error
    }
}
