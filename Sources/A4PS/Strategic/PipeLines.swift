import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a pipe line by line on a thread of its own (blocking reads never touch Swift's
/// cooperative pool) until end of file, then closes it.
enum PipeLines {
    /// Starts the reading thread. `line` gets each line without its newline (a line longer than
    /// `maxLineBytes` is cut there and flagged); `ended` runs once, after the last line.
    static func read(_ handle: FileHandle, name: String, maxLineBytes: Int,
                     line: @escaping @Sendable (_ text: String, _ truncated: Bool) -> Void,
                     ended: @escaping @Sendable () -> Void) {
        let box = UncheckedHandle(handle)
        let thread = Thread {
            let fd = box.handle.fileDescriptor
            var pending: [UInt8] = []
            var truncated = false
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            func flush() {
                line(String(decoding: pending, as: UTF8.self), truncated)
                pending.removeAll(keepingCapacity: true)
                truncated = false
            }
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                for byte in buffer[0..<count] {
                    if byte == UInt8(ascii: "\n") {
                        flush()
                    } else if pending.count < maxLineBytes {
                        pending.append(byte)
                    } else {
                        truncated = true
                    }
                }
            }
            if !pending.isEmpty || truncated { flush() }
            try? box.handle.close()
            ended()
        }
        thread.name = name
        thread.start()
    }

    /// A FileHandle handed to the one thread that reads it.
    private struct UncheckedHandle: @unchecked Sendable {
        let handle: FileHandle
        init(_ handle: FileHandle) { self.handle = handle }
    }
}
