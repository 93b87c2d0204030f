/// What a vector filter can test without touching the database: interned source and persona, and the creation time.
struct VectorAttributes: Sendable, Hashable {
    /// Code of the memory's source in ``AttributeCodes``.
    var source: UInt32
    /// Code of the memory's persona in ``AttributeCodes``; 0 when it has none.
    var persona: UInt32
    /// Seconds since 1970.
    var createdAt: Double
}
