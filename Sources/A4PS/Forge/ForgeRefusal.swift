/// The Tool Forge will not start: a Python tool was asked for and no OS sandbox can run it, or
/// its name cannot be a Python tool's. The reason names the fix.
public struct ForgeRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public let reason: String

    public var description: String { reason }
}
