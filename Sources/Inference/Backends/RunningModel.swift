/// A model loaded in memory right now (Ollama `/api/ps`).
public struct RunningModel: Sendable, Hashable {
    public var name: String
    /// Total memory it uses, in bytes.
    public var sizeBytes: Int64
    /// The part of it in GPU memory, in bytes.
    public var sizeVRAMBytes: Int64
    /// When the server will unload it (ISO 8601 as the server sent it).
    public var expiresAt: String?
    public var contextLength: Int?
}
