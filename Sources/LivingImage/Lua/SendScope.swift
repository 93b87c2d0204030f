/// Further sends inside the transaction of a top-level send whose method has answered: they see
/// its staged slot writes, theirs join its commit, and they share its limits (instructions,
/// deadline, memory). Valid only while the send's completion runs.
public struct SendScope: Sendable {
    let interpreter: Interpreter
    let id: Int

    public func send(_ receiver: String, _ selector: String, _ args: JSONValue = .null) async throws(ImageError) -> JSONValue {
        try await interpreter.send(within: id, receiver, selector, args)
    }
}
