/// How long a model server keeps a model loaded after a request (Ollama's `keep_alive`).
public enum KeepAlive: Sendable, Hashable, CustomStringConvertible {
    /// Unload as soon as the request is done (`keep_alive: 0`).
    case unloadImmediately
    /// Keep it until it is unloaded explicitly (a negative `keep_alive`).
    case forever
    /// Keep it this many seconds after the last request.
    case duration(seconds: Int)

    /// The value sent on the wire (seconds as a number, as Ollama accepts).
    public var jsonValue: JSONValue {
        switch self {
        case .unloadImmediately: .int(0)
        case .forever: .int(-1)
        case .duration(let seconds): .int(seconds)
        }
    }

    public var description: String {
        switch self {
        case .unloadImmediately: "0"
        case .forever: "-1"
        case .duration(let seconds): "\(seconds)s"
        }
    }

    /// Reads a wire value: a number of seconds, or a Go duration string such as `"5m"`, `"1h30m"`, `"-1"`.
    public init?(_ value: JSONValue) {
        switch value {
        case .integer, .number: self.init(seconds: value.doubleValue!)
        case .string(let s):
            guard let seconds = Self.parseDuration(s) else { return nil }
            self.init(seconds: seconds)
        default: return nil
        }
    }

    /// A keep-alive from seconds: 0 unloads, negative keeps forever.
    public init(seconds: Double) {
        if seconds < 0 {
            self = .forever
        } else if seconds == 0 {
            self = .unloadImmediately
        } else {
            self = .duration(seconds: max(1, Int(seconds.rounded(.up))))
        }
    }

    /// Parses `"300"`, `"-1"`, `"90s"`, `"5m"`, `"1h30m"`, `"500ms"` into seconds.
    public static func parseDuration(_ text: String) -> Double? {
        let s = text.trimming(" \t")
        if let plain = Double(s) { return plain }
        var negative = false
        var rest = Substring(s)
        if rest.hasPrefix("-") {
            negative = true
            rest = rest.dropFirst()
        }
        var total = 0.0
        var sawUnit = false
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
            sawUnit = true
        }
        guard sawUnit else { return nil }
        return negative ? -total : total
    }
}
