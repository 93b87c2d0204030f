import LivingImage

/// A deliberation graph, kept as JSON in a slot of a proto (so it changes like any slot, with
/// its change-log entry) and read again before every step.
///
/// ```json
/// {"entry": "research",
///  "nodes": {"research": {"proto": "BABS", "selector": "research"}, ...},
///  "edges": {"research": "propose", "evaluate": {"proto": "ALFRED", "selector": "route"}, "synthesize": "END"},
///  "merge": {"dialogue": "append"},
///  "max_steps": 50}
/// ```
/// A node is a message send: the method receives the run's state and answers an update (an
/// object); an edge is a node name, `END`, or a router send that answers the next node's name.
/// Keys merge by replacement unless `merge` says `append` (lists grow).
public struct GraphDefinition: Sendable, Hashable {
    public struct Node: Sendable, Hashable {
        public var proto: String
        public var selector: String
    }

    public enum Edge: Sendable, Hashable {
        case to(String)
        case router(proto: String, selector: String)
    }

    public enum MergeRule: String, Sendable, Hashable {
        case replace, append
    }

    public static let end = "END"

    public var entry: String
    public var nodes: [String: Node]
    public var edges: [String: Edge]
    public var merge: [String: MergeRule]
    public var maxSteps: Int

    /// Reads and checks a definition; the error says what is wrong and where.
    public init(json: JSONValue) throws(GraphError) {
        guard let entry = json["entry"]?.stringValue else { throw GraphError.invalidGraph("it needs an \"entry\" node name") }
        guard let nodeObjects = json["nodes"]?.objectValue, !nodeObjects.isEmpty else {
            throw GraphError.invalidGraph("it needs \"nodes\": {name: {proto, selector}}")
        }
        var nodes: [String: Node] = [:]
        for (name, node) in nodeObjects {
            guard let proto = node["proto"]?.stringValue, let selector = node["selector"]?.stringValue else {
                throw GraphError.invalidGraph("node \"\(name)\" needs \"proto\" and \"selector\"")
            }
            nodes[name] = Node(proto: proto, selector: selector)
        }
        var edges: [String: Edge] = [:]
        for (from, edge) in json["edges"]?.objectValue ?? [:] {
            guard nodes[from] != nil else { throw GraphError.invalidGraph("an edge leaves \"\(from)\", which is not a node") }
            if let target = edge.stringValue {
                guard target == Self.end || nodes[target] != nil else {
                    throw GraphError.invalidGraph("the edge from \"\(from)\" goes to \"\(target)\", which is not a node (or END)")
                }
                edges[from] = .to(target)
            } else if let proto = edge["proto"]?.stringValue, let selector = edge["selector"]?.stringValue {
                edges[from] = .router(proto: proto, selector: selector)
            } else {
                throw GraphError.invalidGraph("the edge from \"\(from)\" must be a node name, END, or {proto, selector}")
            }
        }
        guard nodes[entry] != nil else { throw GraphError.invalidGraph("the entry \"\(entry)\" is not a node") }
        for name in nodes.keys where edges[name] == nil {
            throw GraphError.invalidGraph("node \"\(name)\" has no outgoing edge (use \"END\" to finish)")
        }
        var merge: [String: MergeRule] = [:]
        for (key, rule) in json["merge"]?.objectValue ?? [:] {
            guard let value = rule.stringValue.flatMap(MergeRule.init(rawValue:)) else {
                throw GraphError.invalidGraph("merge rule for \"\(key)\" must be \"replace\" or \"append\"")
            }
            merge[key] = value
        }
        self.entry = entry
        self.nodes = nodes
        self.edges = edges
        self.merge = merge
        self.maxSteps = json["max_steps"]?.intValue ?? 100
    }

    /// The state after a node's update: each key replaced, or appended to when its rule says so.
    public func merged(_ state: JSONValue, with update: JSONValue) throws(GraphError) -> JSONValue {
        guard case .object(var members) = state else { throw GraphError.invalidGraph("a run's state must be an object") }
        guard case .object(let changes) = update else {
            if update.isNull { return state }
            throw GraphError.nodeAnswer("a node must answer an object of state updates (or nothing), not \(update.jsonText.prefix(80))")
        }
        for (key, value) in changes {
            switch merge[key] ?? .replace {
            case .replace:
                members[key] = value
            case .append:
                let existing = members[key]?.arrayValue ?? []
                members[key] = .array(existing + (value.arrayValue ?? [value]))
            }
        }
        return .object(members)
    }
}

/// Why a graph or a run could not go on, with what to do.
public struct GraphError: Error, CustomStringConvertible, Sendable {
    public let description: String

    static func invalidGraph(_ what: String) -> GraphError { GraphError(description: "invalid deliberation graph: \(what)") }
    static func nodeAnswer(_ what: String) -> GraphError { GraphError(description: what) }
}
