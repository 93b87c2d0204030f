import A4PSServer
import Foundation
import Testing

/// The token file beside the image: made once, private from its first byte, refused when others can read it.
@Suite struct ServerTokenTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-token-\(UUID().uuidString)")
    var imagePath: String { dir.appendingPathComponent("t.image").path }

    init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }

    func mode(of path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func madeOnceWithModeSixHundredAndReadAfterwards() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try ServerToken.read(forImage: imagePath) == nil)
        let (made, created) = try ServerToken.loadOrCreate(forImage: imagePath)
        #expect(created)
        #expect(made.path == imagePath + ".token")
        #expect(made.value.count == 64 && made.value.allSatisfy(\.isHexDigit))
        #expect(try mode(of: made.path) == 0o600)
        #expect(!made.description.contains(made.value))

        let (again, createdAgain) = try ServerToken.loadOrCreate(forImage: imagePath)
        #expect(!createdAgain && again == made)
        #expect(try ServerToken.read(forImage: imagePath) == made)
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["t.image.token"])
        #expect(try ServerToken.loadOrCreate(forImage: dir.appendingPathComponent("other.image").path).token.value != made.value)
    }

    @Test func aTokenFileOthersCanReadIsRefusedWithTheFix() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (token, _) = try ServerToken.loadOrCreate(forImage: imagePath)
        for loose in [0o644, 0o640, 0o604, 0o660] {
            try FileManager.default.setAttributes([.posixPermissions: loose], ofItemAtPath: token.path)
            let error = #expect(throws: ServerError.self) { try ServerToken.loadOrCreate(forImage: imagePath) }
            #expect(error?.description.contains("chmod 600 \(token.path)") == true, "mode \(String(loose, radix: 8))")
            #expect(throws: ServerError.self) { try ServerToken.read(forImage: imagePath) }
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: token.path)
        #expect(try ServerToken.loadOrCreate(forImage: imagePath).token == token)
    }

    @Test func aLinkOrAnEmptyFileIsRefused() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let elsewhere = dir.appendingPathComponent("elsewhere").path
        _ = FileManager.default.createFile(atPath: elsewhere, contents: Data(String(repeating: "a", count: 64).utf8),
                                       attributes: [.posixPermissions: 0o600])
        try FileManager.default.createSymbolicLink(atPath: imagePath + ".token", withDestinationPath: elsewhere)
        let link = #expect(throws: ServerError.self) { try ServerToken.loadOrCreate(forImage: imagePath) }
        #expect(link?.description.contains("symbolic link") == true)

        try FileManager.default.removeItem(atPath: imagePath + ".token")
        _ = FileManager.default.createFile(atPath: imagePath + ".token", contents: Data("short\n".utf8), attributes: [.posixPermissions: 0o600])
        let short = #expect(throws: ServerError.self) { try ServerToken.loadOrCreate(forImage: imagePath) }
        #expect(short?.description.contains("delete it") == true)
    }

    @Test func matchingIsExact() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (token, _) = try ServerToken.loadOrCreate(forImage: imagePath)
        #expect(token.matches(token.value))
        #expect(!token.matches(""))
        #expect(!token.matches(token.value.dropLast()))
        #expect(!token.matches(token.value + "a"))
        #expect(!token.matches(String(token.value.reversed())))
        #expect(!token.matches(token.value.prefix(63) + (token.value.last == "a" ? "b" : "a")))
    }
}
