import LivingImage
import Testing

/// Puts `value` in a slot only verified installs may write (`tests`, `python_tools`), the way the
/// Tool Forge installs it (author `forge`), to set up a test without asking a scripted BRICK.
func installAsForged(_ slot: String, of proto: String, _ value: JSONValue, in image: Image,
                     sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let current = try #require(image.memory.proto(named: proto), sourceLocation: sourceLocation)
    var clone = current.clone()
    clone.slots[slot] = value
    try await image.memory.swap(clone, expecting: current.version, author: .forge, reason: "test fixture")
}
