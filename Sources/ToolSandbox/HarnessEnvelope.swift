import JSON

/// The harness's answer, split off the tool's own stdout, with what the process status adds.
///
/// Only an envelope marked with the run's nonce counts: the tool never learns it (see ``Harness``),
/// so whatever it prints — a copy of the marker, a forged verdict — stays the tool's output.
struct HarnessEnvelope {
    var status: String?
    var body: JSONValue?
    var toolStandardOutput: [UInt8]

    /// A fresh nonce for one run: 128 random bits, in hex.
    static func makeNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let digits = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    init(standardOutput bytes: [UInt8], nonce: String) {
        let marker = Array(("\n" + Harness.marker + nonce + "\n").utf8)
        guard let start = Self.lastIndex(of: marker, in: bytes) else {
            toolStandardOutput = bytes
            return
        }
        toolStandardOutput = Array(bytes[..<start])
        let json = bytes[(start + marker.count)...]
        body = try? JSONParser.parse(bytes: json)
        status = body?["status"]?.stringValue
    }

    static func failure(_ value: JSONValue?) -> PythonFailure? {
        guard let value, value.objectValue != nil else { return nil }
        return PythonFailure(
            type: value["type"]?.stringValue ?? "Exception",
            message: value["message"]?.stringValue ?? "",
            traceback: value["traceback"]?.stringValue ?? ""
        )
    }

    static func limit(_ value: JSONValue?) -> SandboxLimit? {
        switch value?["limit"]?.stringValue {
        case "memory": .memory
        case "processes": .processes
        case "disk": .disk
        case "cpu": .cpuTime
        default: nil
        }
    }

    /// The limit the process status shows: our own kills first, then SIGXCPU inside.
    static func limit(of outcome: SandboxProcess.Outcome) -> SandboxLimit? {
        if outcome.timedOut { return .wallTime }
        if outcome.outputTooLarge { return .output }
        // bwrap and runsc report a child killed by signal N as exit 128 + N; SIGXCPU is 24 on Linux.
        if outcome.exitStatus == .exited(128 + 24) || outcome.exitStatus == .signaled(24) { return .cpuTime }
        return nil
    }

    private static func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = haystack.count - needle.count
        while index >= 0 {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index -= 1
        }
        return nil
    }
}
