/// The JSON form of events, for the server's event stream and for logs.
extension ImageEvent {
    public var json: JSONValue {
        switch self {
        case .protoCreated(let proto, let change):
            ["event": "protoCreated", "proto": .string(proto), "change": .integer(change)]
        case .protoSwapped(let proto, let from, let to, let change, let author):
            ["event": "protoSwapped", "proto": .string(proto), "fromVersion": .integer(from), "toVersion": .integer(to),
             "change": .integer(change), "author": .string(author.rawValue)]
        case .methodInstalled(let proto, let selector, let version, let change):
            ["event": "methodInstalled", "proto": .string(proto), "selector": .string(selector),
             "version": .integer(version), "change": .integer(change)]
        case .methodRemoved(let proto, let selector, let change):
            ["event": "methodRemoved", "proto": .string(proto), "selector": .string(selector), "change": .integer(change)]
        case .slotChanged(let proto, let slot, let change):
            ["event": "slotChanged", "proto": .string(proto), "slot": .string(slot), "change": .integer(change)]
        case .notUnderstood(let proto, let selector):
            ["event": "notUnderstood", "proto": .string(proto), "selector": .string(selector)]
        case .rolledBack(let proto, let toChange, let change):
            ["event": "rolledBack", "proto": .string(proto), "toChange": .integer(toChange), "change": .integer(change)]
        case .sendFailed(let proto, let selector, let error):
            ["event": "sendFailed", "proto": .string(proto), "selector": .string(selector), "error": .string(error)]
        case .methodRaised(let proto, let selector, let owner, let args, let error, let traceback):
            ["event": "methodRaised", "proto": .string(proto), "selector": .string(selector), "owner": .string(owner),
             "args": args, "error": .string(error), "traceback": traceback.map { .string($0) } ?? .null]
        case .emitted(let proto, let name, let payload):
            ["event": "emitted", "proto": .string(proto), "name": .string(name), "payload": payload]
        case .logged(let proto, let selector, let message):
            ["event": "logged", "proto": .string(proto), "selector": .string(selector), "message": .string(message)]
        case .runStepped(let run, let step, let node, let next):
            ["event": "runStepped", "run": .string(run), "step": .int(step), "node": .string(node), "next": .string(next)]
        case .runStopped(let run, let status, let detail):
            ["event": "runStopped", "run": .string(run), "status": .string(status), "detail": detail]
        case .modelToken(let persona, let run, let text):
            ["event": "modelToken", "persona": .string(persona), "run": .string(run), "text": .string(text)]
        case .governorVeto(let veto):
            ["event": "governor.veto", "rule": .string(veto.rule), "proto": .string(veto.proto), "subject": .string(veto.subject),
             "author": .string(veto.author.rawValue), "reason": .string(veto.description), "evidence": veto.evidence]
        case .modelLoaded(let model, let milliseconds):
            ["event": "modelLoaded", "model": .string(model), "milliseconds": .int(milliseconds)]
        }
    }
}
