/// A ``MemoryFilter`` compiled to interned codes, tested against each vector's attributes during a scan.
struct VectorFilter: Sendable {
    var sources: Set<UInt32>?
    var personas: Set<UInt32>?
    var since: Double?
    var until: Double?

    var isEmpty: Bool {
        sources == nil && personas == nil && since == nil && until == nil
    }

    @inline(__always)
    func matches(_ a: VectorAttributes) -> Bool {
        if let since, a.createdAt < since { return false }
        if let until, a.createdAt >= until { return false }
        if let sources, !sources.contains(a.source) { return false }
        if let personas, !personas.contains(a.persona) { return false }
        return true
    }
}
