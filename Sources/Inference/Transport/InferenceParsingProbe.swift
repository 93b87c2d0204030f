import NIOCore

/// Runs the streaming parser over bytes already in memory, for benchmarks of the parser alone.
public enum InferenceParsingProbe {
    /// Splits `buffer` into NDJSON lines and decodes each as an Ollama chat chunk; returns how many.
    public static func countChatChunks(in buffer: ByteBuffer) -> Int {
        var splitter = LineSplitter()
        var framer = MessageFramer(framing: .ndjson)
        var count = 0
        let onMessage: (UnsafeRawBufferPointer) -> Bool = { message in
            if let json = try? JSONParser.parse(message),
               (try? OllamaBackend.decodeChunk(json, url: "", model: "", delivered: count, line: message)) != nil {
                count += 1
            }
            return true
        }
        _ = splitter.feed(buffer) { line in framer.line(line, onMessage) }
        splitter.finish { line in framer.line(line, onMessage) }
        return count
    }
}
