import Foundation
import NIOCore

/// What one line (NDJSON) or one event (SSE) of a streamed body means to its reader.
enum LineOutcome<Chunk: Sendable>: Sendable {
    /// A decoded chunk to deliver.
    case chunk(Chunk)
    /// A chunk to deliver that is also the last one.
    case final(Chunk)
    /// The stream's end marker, with nothing to deliver (SSE's `[DONE]`).
    case end
    /// Nothing to deliver (a keep-alive, a comment).
    case skip
}

/// How a streamed body is cut into messages.
enum StreamFraming: Sendable {
    /// One JSON object per line (Ollama).
    case ndjson
    /// Server-Sent Events: `data: <json>` lines, events separated by blank lines (OpenAI).
    case sse
}

/// Splits a body arriving in arbitrary pieces into lines (without `\n` or a trailing `\r`),
/// copying only the bytes of a line that straddles two pieces.
struct LineSplitter {
    private var carry: [UInt8] = []

    /// Calls `onLine` for every complete line in `buffer`; stops early when it returns false.
    /// Returns false when `onLine` asked to stop.
    mutating func feed(_ buffer: ByteBuffer, _ onLine: (UnsafeRawBufferPointer) throws -> Bool) rethrows -> Bool {
        try buffer.withUnsafeReadableBytes { bytes -> Bool in
            var start = 0
            let count = bytes.count
            while start < count {
                guard let newline = Self.indexOfNewline(bytes, from: start) else {
                    carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<count]))
                    return true
                }
                let keepGoing: Bool
                if carry.isEmpty {
                    keepGoing = try Self.deliver(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]), onLine)
                } else {
                    carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<newline]))
                    keepGoing = try carry.withUnsafeBytes { try Self.deliver($0, onLine) }
                    carry.removeAll(keepingCapacity: true)
                }
                if !keepGoing { return false }
                start = newline + 1
            }
            return true
        }
    }

    /// Delivers a last line that had no terminating newline.
    mutating func finish(_ onLine: (UnsafeRawBufferPointer) throws -> Bool) rethrows {
        guard !carry.isEmpty else { return }
        defer { carry.removeAll() }
        _ = try carry.withUnsafeBytes { try Self.deliver($0, onLine) }
    }

    private static func deliver(_ line: UnsafeRawBufferPointer, _ onLine: (UnsafeRawBufferPointer) throws -> Bool) rethrows -> Bool {
        if let last = line.last, last == UInt8(ascii: "\r") {
            return try onLine(UnsafeRawBufferPointer(rebasing: line[0..<(line.count - 1)]))
        }
        return try onLine(line)
    }

    @inline(__always)
    private static func indexOfNewline(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count else { return nil }
        guard let found = memchr(base + start, 0x0A, bytes.count - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }
}

/// Turns lines into messages: every non-blank line for NDJSON; the joined `data:` lines of an event for SSE.
struct MessageFramer {
    let framing: StreamFraming
    private var data: [UInt8] = []
    private var hasData = false

    init(framing: StreamFraming) {
        self.framing = framing
    }

    /// Feeds one line; calls `onMessage` with each complete message's bytes.
    mutating func line(_ line: UnsafeRawBufferPointer, _ onMessage: (UnsafeRawBufferPointer) throws -> Bool) rethrows -> Bool {
        switch framing {
        case .ndjson:
            if Self.isBlank(line) { return true }
            return try onMessage(line)
        case .sse:
            if line.isEmpty { return try dispatch(onMessage) }
            if line[0] == UInt8(ascii: ":") { return true }
            guard line.count >= 5, line[0] == UInt8(ascii: "d"), line[1] == UInt8(ascii: "a"),
                line[2] == UInt8(ascii: "t"), line[3] == UInt8(ascii: "a"), line[4] == UInt8(ascii: ":")
            else { return true }  // event:, id:, retry: carry nothing we use
            var payloadStart = 5
            if payloadStart < line.count, line[payloadStart] == UInt8(ascii: " ") { payloadStart += 1 }
            if hasData { data.append(0x0A) }
            data.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[payloadStart...]))
            hasData = true
            return true
        }
    }

    /// Delivers a pending SSE event at the end of the body.
    mutating func finish(_ onMessage: (UnsafeRawBufferPointer) throws -> Bool) rethrows {
        if framing == .sse { _ = try dispatch(onMessage) }
    }

    private mutating func dispatch(_ onMessage: (UnsafeRawBufferPointer) throws -> Bool) rethrows -> Bool {
        guard hasData else { return true }
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
        }
        return try data.withUnsafeBytes { try onMessage($0) }
    }

    private static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        for byte in line where byte != 0x20 && byte != 0x09 { return false }
        return true
    }
}
