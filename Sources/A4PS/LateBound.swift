import Synchronization

/// A value the host primitives need but that exists only after the image they belong to is
/// open (the scrapbook, the Tool Forge).
final class LateBound<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let what: String

    init(_ what: String) { self.what = what }

    func set(_ newValue: Value) { value.withLock { $0 = newValue } }

    func get() throws -> Value {
        guard let current = value.withLock({ $0 }) else { throw PrimitiveError("\(what) is not ready yet") }
        return current
    }
}

/// A primitive's refusal, raised as a Lua error in the calling method.
struct PrimitiveError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
