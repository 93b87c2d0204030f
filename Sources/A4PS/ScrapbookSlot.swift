import Scrapbook
import Synchronization

/// Lets the memory primitives reach the scrapbook, which opens after the image they belong to.
final class ScrapbookSlot: Sendable {
    private let scrapbook = Mutex<Scrapbook?>(nil)

    func set(_ value: Scrapbook) { scrapbook.withLock { $0 = value } }

    func get() throws -> Scrapbook {
        guard let value = scrapbook.withLock({ $0 }) else {
            throw PrimitiveError("the scrapbook is not open yet")
        }
        return value
    }
}

/// A primitive's refusal, raised as a Lua error in the calling method.
struct PrimitiveError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
