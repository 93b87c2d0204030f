import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The secret a client shows (`Authorization: Bearer <token>`) to use the image's HTTP API.
///
/// It lives beside the image, in `<image>.token`, readable by its owner only (mode 0600):
/// whoever can read the image's directory as that user may use the server, and no web page
/// or other user can. ``loadOrCreate(forImage:)`` makes one the first time a server starts;
/// clients read it with ``read(forImage:)``.
public struct ServerToken: Sendable, Equatable, CustomStringConvertible {
    /// The token text (64 hexadecimal digits when generated).
    public let value: String
    /// The file it was read from or written to.
    public let path: String

    /// Never printed by accident: the description names the file, not the secret.
    public var description: String { "the token in \(path)" }

    /// The token file of the image at `imagePath`.
    public static func path(forImage imagePath: String) -> String { imagePath + ".token" }

    /// Reads the image's token file; generates it first (atomically, mode 0600) when there is
    /// none. `created` says whether this call wrote it.
    public static func loadOrCreate(forImage imagePath: String) throws(ServerError) -> (token: ServerToken, created: Bool) {
        let path = path(forImage: imagePath)
        if let existing = try read(at: path) { return (existing, false) }
        let value = generate()
        if try install(value, at: path) { return (ServerToken(value: value, path: path), true) }
        // Another process wrote it between our look and our link: theirs is the token.
        guard let theirs = try read(at: path) else { throw ServerError.tokenFile(path, "it vanished while it was being created") }
        return (theirs, false)
    }

    /// The image's token, or nil when the image has no token file (no server has started on it yet).
    public static func read(forImage imagePath: String) throws(ServerError) -> ServerToken? {
        try read(at: path(forImage: imagePath))
    }

    /// Whether `presented` is this token, in time that does not depend on where they differ.
    public func matches(_ presented: some StringProtocol) -> Bool {
        let expected = Array(value.utf8), given = Array(presented.utf8)
        var difference = UInt8(truncatingIfNeeded: expected.count ^ given.count)
        for index in 0..<expected.count {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0 && expected.count == given.count
    }

    private static func generate() -> String {
        var generator = SystemRandomNumberGenerator()   // the OS's cryptographic source (getrandom, arc4random)
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Reads and checks the file at `path`; nil when there is none.
    private static func read(at path: String) throws(ServerError) -> ServerToken? {
        // O_NOFOLLOW: a link planted where the token should be is refused, not followed.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            if code == ELOOP { throw ServerError.tokenFile(path, "it is a symbolic link; replace it with a file of your own (or delete it: a new token is made)") }
            throw ServerError.tokenFile(path, "it cannot be opened (\(String(cString: strerror(code))))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ServerError.tokenFile(path, "it cannot be examined (\(String(cString: strerror(errno))))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ServerError.tokenFile(path, "it is not a regular file") }
        guard info.st_uid == geteuid() else {
            throw ServerError.tokenFile(path, "it belongs to another user (uid \(info.st_uid)); delete it and start the server again to make your own")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else { throw ServerError.looseTokenFile(path, mode: Int(mode)) }
        let contents: Data
        do {
            contents = try FileHandle(fileDescriptor: fd, closeOnDealloc: false).read(upToCount: 4096) ?? Data()
        } catch {
            throw ServerError.tokenFile(path, "it cannot be read (\(error))")
        }
        let text = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count >= 16, text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw ServerError.tokenFile(path, "it does not hold a token (at least 16 printable characters, no spaces); delete it and a new one is made")
        }
        return ServerToken(value: text, path: path)
    }

    /// Writes `value` to a fresh private file and links it into place; false when `path` exists already.
    private static func install(_ value: String, at path: String) throws(ServerError) -> Bool {
        let temporary = "\(path).\(getpid()).\(UInt32.random(in: .min ... .max)).tmp"
        // O_EXCL with mode 0600: the file is private from its first byte (a umask can only narrow it).
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ServerError.tokenFile(path, "it cannot be created (\(String(cString: strerror(errno))))") }
        defer { unlink(temporary) }
        let line = Array((value + "\n").utf8)
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == line.count, synced else { throw ServerError.tokenFile(path, "it cannot be written (\(String(cString: strerror(errno))))") }
        // link() never replaces: a reader sees no file or the whole token, and a racing server's token wins once.
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { return false }
            throw ServerError.tokenFile(path, "it cannot be created (\(String(cString: strerror(errno))))")
        }
        return true
    }
}
