/// A method of a proto: its selector and Lua source, with the doc string read from the source.
///
/// The source is the body of a Lua function that receives `self` and `args` (the message's
/// JSON argument); its leading comment lines are the method's doc string.
public struct MethodSource: Sendable, Hashable, Codable {
    public var selector: String
    public var source: String
    /// Increases by one each time this selector is redefined on its proto.
    public var version: Int64

    public init(selector: String, source: String, version: Int64 = 1) {
        self.selector = selector
        self.source = source
        self.version = version
    }

    /// The leading `--` comment lines of the source, without the dashes.
    public var doc: String {
        var lines: [Substring] = []
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            guard trimmed.hasPrefix("--"), !trimmed.hasPrefix("--[[") else { break }
            lines.append(trimmed.drop(while: { $0 == "-" }).drop(while: { $0 == " " }))
        }
        return lines.joined(separator: "\n")
    }

    /// The largest method source the image accepts.
    public static let maxSourceBytes = 256 * 1024
}
