import Foundation
import Hummingbird

/// Small helpers to read request JSON and write response JSON and NDJSON/SSE lines quickly.
enum WireFormat {
    /// The header every answer carries.
    static let scriptedHeader = HTTPFields.Element.Name("X-A4PS-Scripted")!
    static let versionHeader = HTTPFields.Element.Name("X-A4PS-Scripted-Version")!

    /// Escapes a string for the inside of JSON double quotes.
    static func escape(_ text: String) -> String {
        var needsWork = false
        for byte in text.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsWork = true
            break
        }
        guard needsWork else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Serializes Foundation JSON objects (sorted keys).
    static func json(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) else {
            return "null"
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func response(_ status: HTTPResponse.Status = .ok, json object: Any) -> Response {
        response(status, text: json(object), contentType: "application/json; charset=utf-8")
    }

    static func response(_ status: HTTPResponse.Status, text: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Ollama's error body: `{"error":"..."}`.
    static func ollamaError(_ status: HTTPResponse.Status, _ message: String) -> Response {
        response(status, json: ["error": message])
    }

    /// OpenAI's error body: `{"error":{"message","type","param","code"}}`.
    static func openAIError(_ status: HTTPResponse.Status, _ message: String, type: String) -> Response {
        response(status, json: ["error": ["message": message, "type": type, "param": NSNull(), "code": Int(status.code)] as [String: Any]])
    }

    /// The request body as a JSON object (empty when there is none; nil when it is not JSON).
    static func object(_ request: Request) async throws -> [String: Any]? {
        let buffer = try await request.body.collect(upTo: 64 << 20)
        if buffer.readableBytes == 0 { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any]
    }

    /// A `keep_alive` value in seconds: a number, or a duration string (`"5m"`, `"-1"`, `"0"`).
    ///
    /// Parsed here on purpose, not with the client's `KeepAlive`: the server stands in for Ollama,
    /// and sharing the client's parser would let a bug in it pass its own tests.
    static func keepAliveSeconds(_ value: Any?) -> Double? {
        if let number = value as? NSNumber { return number.doubleValue }
        guard let text = value as? String else { return nil }
        if let plain = Double(text) { return plain }
        var total = 0.0
        var rest = Substring(text)
        var negative = false
        if rest.hasPrefix("-") {
            negative = true
            rest = rest.dropFirst()
        }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
        }
        return negative ? -total : total
    }

    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A stable fake digest for a name, shaped like `sha256:<64 hex>`.
    static func digest(for name: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var hex = ""
        for round in 0..<4 {
            for byte in (name + "#\(round)").utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            hex += String(format: "%016llx", hash)
        }
        return "sha256:" + hex
    }

    /// Words in a text, as a rough token count.
    static func wordCount(_ text: String) -> Int {
        text.split(whereSeparator: { $0.isWhitespace }).count
    }
}
