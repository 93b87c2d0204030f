import A4PS
import ArgumentParser
import LivingImage

/// `a4ps inspect [PROTO]`: the protos of the image, or one proto's self-description.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List the protos, or print one proto's self-description (slots, methods, parent, codex, version)."
    )
    @OptionGroup var options: ImageOptions
    @Argument(help: "The proto to describe.") var proto: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let image = try await options.open(writes: false)
        defer { image.close() }
        guard let proto else {
            let protos = image.memory.snapshot().values.sorted { $0.name < $1.name }
            if json {
                emitLine(JSONValue.array(protos.map { .string($0.name) }).jsonText)
                return
            }
            let golden = (try? GoldenDataset(image: image).counts()) ?? [:]
            for p in protos {
                let examples = golden[p.name].map { "  golden: \($0) example(s)" } ?? ""
                emitLine("\(p.name)  v\(p.version)  parent: \(p.parent ?? "-")  methods: \(p.methods.count)  slots: \(p.slots.count)\(examples)")
            }
            return
        }
        let description = try image.describe(proto)
        if json { emitLine(description.prettyText); return }
        emitLine(DescriptionFormatting.text(description))
    }
}

/// A self-description rendered for people.
enum DescriptionFormatting {
    static func text(_ d: JSONValue) -> String {
        var lines: [String] = []
        lines.append("\(d["name"]?.stringValue ?? "?")  (version \(d["version"]?.jsonText ?? "?"))")
        let ancestors = d["ancestors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        lines.append("parent: \(ancestors.isEmpty ? "-" : ancestors.joined(separator: " → "))")
        if let codex = d["codex"], !codex.isNull {
            lines.append("codex:")
            lines.append(indent(codex.prettyText))
        }
        let slots = d["slots"]?.objectValue ?? [:]
        lines.append("slots:" + (slots.isEmpty ? " (none)" : ""))
        for key in slots.keys.sorted() { lines.append("  \(key) = \(slots[key]!.jsonText)") }
        let methods = d["methods"]?.objectValue ?? [:]
        lines.append("methods:" + (methods.isEmpty ? " (none)" : ""))
        for key in methods.keys.sorted() {
            let m = methods[key]!
            lines.append("  \(key)  (v\(m["version"]?.jsonText ?? "?"))")
            if let doc = m["doc"]?.stringValue, !doc.isEmpty { lines.append(indent(doc, by: "      ")) }
        }
        let inherited = d["inheritedMethods"]?.objectValue ?? [:]
        if !inherited.isEmpty {
            lines.append("inherited:")
            for key in inherited.keys.sorted() {
                lines.append("  \(key)  (from \(inherited[key]!["from"]?.stringValue ?? "?"))")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func indent(_ text: String, by prefix: String = "  ") -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(separator: "\n")
    }
}
