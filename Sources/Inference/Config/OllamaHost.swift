/// Resolves Ollama's server address the way the `ollama` command does from `OLLAMA_HOST`.
///
/// Rules (from Ollama's `envconfig.Host`): unset or empty means `http://127.0.0.1:11434`;
/// without a scheme the scheme is `http` and a missing port is `11434`; with `http://` a missing
/// port is `80`, with `https://` it is `443`; a path after the host is kept.
public enum OllamaHost {
    /// The address used when `OLLAMA_HOST` is not set.
    public static let defaultURL = "http://127.0.0.1:11434"

    /// The base URL (`scheme://host:port[/path]`, no trailing slash) for an `OLLAMA_HOST` value.
    public static func resolve(_ value: String?) -> String {
        let trimmed = (value ?? "").trimming(" \t\n\r")
        var scheme = "http"
        var defaultPort = "11434"
        var rest = trimmed
        if let range = trimmed.range(of: "://") {
            scheme = String(trimmed[..<range.lowerBound]).lowercased()
            rest = String(trimmed[range.upperBound...])
            switch scheme {
            case "http": defaultPort = "80"
            case "https": defaultPort = "443"
            default: break
            }
        }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = String(rest[..<slash])
        }
        while path.hasSuffix("/") { path.removeLast() }

        var host: String
        var port: String
        if let split = splitHostPort(rest) {
            (host, port) = split
            if host.isEmpty { host = "127.0.0.1" }
        } else {
            host = "127.0.0.1"
            port = defaultPort
            let unbracketed = rest.trimming("[]")
            if !unbracketed.isEmpty { host = unbracketed }
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart):\(port)\(path)"
    }

    /// The base URL from an environment (reads `OLLAMA_HOST`).
    public static func resolve(environment: [String: String]) -> String {
        resolve(environment["OLLAMA_HOST"])
    }

    /// Splits `host:port` or `[v6]:port`; nil when there is no port (as Go's `net.SplitHostPort` fails).
    private static func splitHostPort(_ text: String) -> (String, String)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            let port = String(after.dropFirst())
            guard !port.isEmpty else { return nil }
            return (String(text[text.index(after: text.startIndex)..<close]), port)
        }
        let colons = text.filter { $0 == ":" }.count
        guard colons == 1, let colon = text.firstIndex(of: ":") else { return nil }
        let port = String(text[text.index(after: colon)...])
        guard !port.isEmpty else { return nil }
        return (String(text[..<colon]), port)
    }
}

extension StringProtocol {
    func trimming(_ set: String) -> String {
        let characters = Set(set)
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice.removeFirst() }
        while let last = slice.last, characters.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
