/// What the Tool Forge writes: a Lua method (run in the image's Lua sandbox) or a Python tool
/// (run as python3 in the OS sandbox, answered through a Lua method that calls it).
public enum ForgeLanguage: String, Sendable, Hashable, CaseIterable {
    case lua
    case python

    /// The line-comment prefix of the language (`--` or `#`).
    var comment: String {
        switch self {
        case .lua: "--"
        case .python: "#"
        }
    }
}
