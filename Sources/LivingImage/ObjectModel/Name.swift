/// Validation of the names the image keys things by: proto names, selectors and slot names.
///
/// Names are 1–128 characters of ASCII letters, digits and `_` (selectors may also contain `:`,
/// Smalltalk-style), starting with a letter or `_`. Anything else — empty, huge, not UTF-8,
/// spaces, control characters — is refused with a message that says so.
public enum Name {
    public enum Kind: String, Sendable {
        case proto = "proto name"
        case selector = "selector"
        case slot = "slot name"
    }

    public static let maxLength = 128

    /// Returns `text` when it is a valid name of `kind`; throws a clear error otherwise.
    @discardableResult
    public static func validate(_ text: String, as kind: Kind) throws(ImageError) -> String {
        if text.isEmpty { throw ImageError.invalidName(kind: kind, name: text, reason: "it is empty") }
        if text.utf8.count > maxLength {
            throw ImageError.invalidName(kind: kind, name: String(text.prefix(40)) + "…",
                                         reason: "it is longer than \(maxLength) characters")
        }
        for (i, byte) in text.utf8.enumerated() {
            let ok: Bool
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"): ok = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"): ok = i > 0
            case UInt8(ascii: ":"): ok = kind == .selector && i > 0
            default: ok = false
            }
            if !ok {
                throw ImageError.invalidName(
                    kind: kind, name: text,
                    reason: "use letters, digits and _ \(kind == .selector ? "(and :) " : "")starting with a letter or _")
            }
        }
        return text
    }

    /// Validates raw bytes coming from Lua or a file, which may not be UTF-8 at all.
    public static func validate(bytes: [UInt8], as kind: Kind) throws(ImageError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ImageError.invalidName(kind: kind, name: "<\(bytes.count) bytes>", reason: "it is not valid UTF-8")
        }
        return try validate(text, as: kind)
    }
}
