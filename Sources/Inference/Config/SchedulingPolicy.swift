/// How the VRAM scheduler keeps models on the GPU.
public enum SchedulingPolicy: String, Sendable, Hashable, CaseIterable {
    /// The seeds' strategy: `keep_alive` 0, every call loads its model and unloads it afterwards.
    case sequential
    /// Keep models resident while they fit the VRAM budget; evict the least recently used first.
    case budget
}
