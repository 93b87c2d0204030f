/// Cloning a proto in the image: the halo's Clone.
extension Image {
    /// Adds a copy of `original` named `newName`: its slots, methods, codex and parent, every
    /// method at version 1 and a fresh history. The copy passes the governor like any new proto.
    /// A `morph` slot (the UI's position) is moved aside so the copy does not hide its original.
    @discardableResult
    public func clone(_ original: String, as newName: String, author: ChangeAuthor = .architect,
                      reason: String = "") async throws(ImageError) -> ChangeRecord {
        guard let source = memory.proto(named: original) else { throw ImageError.noSuchProto(original) }
        var slots = source.slots
        if let x = slots["morph"]?["x"]?.doubleValue, let y = slots["morph"]?["y"]?.doubleValue {
            slots["morph"] = ["x": .number(x + 40), "y": .number(y + 40)]
        }
        let copy = Proto(name: newName, parent: source.parent, slots: slots, methods: source.methods, codex: source.codex)
        return try await memory.create(copy, author: author, reason: reason.isEmpty ? "clone of \(original)" : reason)
    }
}
