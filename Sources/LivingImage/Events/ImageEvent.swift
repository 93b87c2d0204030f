import Foundation

/// Something that happened in the living image, published on the ``EventBus``.
public enum ImageEvent: Sendable, Hashable {
    case protoCreated(proto: String, change: Int64)
    /// A new version of a proto was swapped in (any committed change).
    case protoSwapped(proto: String, fromVersion: Int64, toVersion: Int64, change: Int64, author: ChangeAuthor)
    case methodInstalled(proto: String, selector: String, version: Int64, change: Int64)
    case methodRemoved(proto: String, selector: String, change: Int64)
    case slotChanged(proto: String, slot: String, change: Int64)
    case notUnderstood(proto: String, selector: String)
    case rolledBack(proto: String, toChange: Int64, change: Int64)
    /// A method raised, was killed or ran out of memory; the image is unchanged.
    case sendFailed(proto: String, selector: String, error: String)
    /// A method raised during a real (not trial) send: what a debug session needs.
    case methodRaised(proto: String, selector: String, owner: String, args: JSONValue, error: String, traceback: String?)
    /// A method called `emit(name, payload)`.
    case emitted(proto: String, name: String, payload: JSONValue)
    /// A method called `log(...)`.
    case logged(proto: String, selector: String, message: String)
    /// A deliberation run checkpointed the update of `node` as step `step`; `next` runs next.
    case runStepped(run: String, step: Int, node: String, next: String)
    /// A deliberation run stopped: `done`, `paused` (for a human, with the question), or `failed`.
    case runStopped(run: String, status: String, detail: JSONValue)
    /// A piece of a persona's streamed answer (`run`: the deliberation run, or the call's own id).
    case modelToken(persona: String, run: String, text: String)
    /// The governor refused a change (`governor.veto`): the rule, where, and who tried.
    case governorVeto(Governor.Veto)
    /// A model was loaded into GPU memory.
    case modelLoaded(model: String, milliseconds: Int)
}
