import Foundation

/// Interns source and persona names as small integers, so that filtering a vector scan compares integers.
struct AttributeCodes: Sendable {
    private(set) var sources: [String: UInt32] = [:]
    private(set) var personas: [String: UInt32] = [:]

    mutating func attributes(source: String, persona: String?, createdAt: Double) -> VectorAttributes {
        let sourceCode = Self.code(source, in: &sources)
        let personaCode = persona.map { Self.code($0, in: &personas) } ?? 0
        return VectorAttributes(source: sourceCode, persona: personaCode, createdAt: createdAt)
    }

    private static func code(_ name: String, in table: inout [String: UInt32]) -> UInt32 {
        if let existing = table[name] { return existing }
        let next = UInt32(table.count + 1)
        table[name] = next
        return next
    }

    /// The filter in codes; nil when it can match nothing (it names only unknown values).
    func compile(_ filter: MemoryFilter) -> VectorFilter? {
        var compiled = VectorFilter()
        if let names = filter.sources {
            let codes = Set(names.compactMap { sources[$0.rawValue] })
            if codes.isEmpty { return nil }
            compiled.sources = codes
        }
        if let names = filter.personas {
            let codes = Set(names.compactMap { personas[$0] })
            if codes.isEmpty { return nil }
            compiled.personas = codes
        }
        compiled.since = filter.since?.timeIntervalSince1970
        compiled.until = filter.until?.timeIntervalSince1970
        return compiled
    }
}
