/// Builds a proto's self-description (the seeds' Self-Explanatory Protocol): slots, methods
/// with doc strings and versions (its own and inherited), parent chain, codex and version.
enum ProtoDescription {
    static func describe(_ proto: Proto, in protos: ProtoTable) -> JSONValue {
        var chain: [JSONValue] = []
        var inherited: [String: JSONValue] = [:]
        var next = proto.parent
        var hops = 0
        while let name = next, let p = protos[name], hops < ObjectMemory.maxParentChain {
            chain.append(.string(name))
            for (selector, method) in p.methods where proto.methods[selector] == nil && inherited[selector] == nil {
                inherited[selector] = ["from": .string(name), "doc": .string(method.doc), "version": .integer(method.version)]
            }
            next = p.parent
            hops += 1
        }
        let methods = proto.methods.mapValues { method -> JSONValue in
            ["doc": .string(method.doc), "version": .integer(method.version),
             "lines": .integer(Int64(method.source.split(separator: "\n", omittingEmptySubsequences: false).count))]
        }
        return [
            "name": .string(proto.name),
            "version": .integer(proto.version),
            "parent": proto.parent.map { .string($0) } ?? .null,
            "ancestors": .array(chain),
            "codex": proto.codex,
            "slots": .object(proto.slots),
            "methods": .object(methods),
            "inheritedMethods": .object(inherited),
        ]
    }
}
