/// Why a model was unloaded.
public enum UnloadReason: String, Sendable, Hashable {
    /// Evicted (least recently used) to make room under the budget.
    case evicted
    /// The `sequential` policy unloads after every call.
    case sequential
    /// Asked for explicitly (``ModelManager/unloadAll()``).
    case explicit
    /// The server dropped it on its own (its keep-alive expired).
    case expiredOnServer
}
