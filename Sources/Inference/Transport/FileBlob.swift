import BlockingWork
import Crypto
import Foundation
import NIOCore

/// A local file sent to a server as a content-addressed blob (Ollama's `/api/blobs`): its size,
/// its SHA-256 digest, and its bytes as chunks — an adapter GGUF can be hundreds of megabytes, so
/// neither hashing nor uploading ever holds it whole in memory.
struct FileBlob: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// How much is read at a time.
    static let chunkBytes = 1 << 20

    let path: String
    let size: Int64
    /// `sha256:<lowercase hex>`.
    let digest: String

    /// Reads the file once, chunk by chunk on a thread of its own, to learn its size and digest.
    /// Throws `CocoaError` when the file cannot be opened or read.
    static func hashing(path: String) async throws -> FileBlob {
        try await OffPool.run {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            var hasher = SHA256()
            var size: Int64 = 0
            while let chunk = try handle.read(upToCount: chunkBytes), !chunk.isEmpty {
                hasher.update(data: chunk)
                size += Int64(chunk.count)
            }
            return FileBlob(path: path, size: size, digest: digest(of: hasher.finalize()))
        }
    }

    /// `sha256:<hex>` of bytes in memory.
    static func digest(of bytes: [UInt8]) -> String { digest(of: SHA256.hash(data: bytes)) }

    private static func digest(of hash: SHA256.Digest) -> String {
        "sha256:" + hash.map { String(format: "%02x", $0) }.joined()
    }

    func makeAsyncIterator() -> Iterator { Iterator(path: path) }

    /// Opens the file on the first read and closes it at its end (or when the upload is dropped).
    struct Iterator: AsyncIteratorProtocol {
        let path: String
        private var reader: Reader?
        private var finished = false

        init(path: String) { self.path = path }

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            if reader == nil { reader = try Reader(path: path) }
            guard let chunk = try reader?.handle.read(upToCount: FileBlob.chunkBytes), !chunk.isEmpty else {
                finished = true
                reader = nil
                return nil
            }
            return ByteBuffer(bytes: chunk)
        }
    }

    /// Owns the open file so that it is closed however the iteration ends.
    private final class Reader {
        let handle: FileHandle
        init(path: String) throws { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) }
        deinit { try? handle.close() }
    }
}
