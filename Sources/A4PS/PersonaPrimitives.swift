import Foundation
import Inference
import LivingImage

/// `think(prompt, opts)` and `embed(texts)` for Lua methods: the receiver's model, framed by the
/// system prompt of its codex (always first), after `opts.history` when given.
///
/// The model is the receiver's `model` slot when it has one (a binding the image changed at run
/// time), otherwise `[models]` of config.toml for its name, otherwise its codex's `model`.
public enum PersonaPrimitives {
    static func all(models: ModelManager) -> [HostPrimitive] {
        [
            HostPrimitive(name: "think") { arguments, context in
                guard let prompt = arguments.first?.stringValue, !prompt.isEmpty else {
                    throw PrimitiveError("think(prompt, opts) needs a non-empty prompt string")
                }
                let options = arguments.count > 1 ? ThinkOptions(options: arguments[1]) : ThinkOptions()
                let history = try conversation(arguments.count > 1 ? arguments[1]["history"] : nil)
                let result = try await models.chat(binding(for: context.proto, models: models), messages: history + [.user(prompt)],
                                                   options: options, runID: RunContext.current?.run ?? UUID().uuidString)
                return result.json ?? .string(result.text)
            },
            HostPrimitive(name: "embed") { arguments, _ in
                let texts: [String]
                switch arguments.first {
                case .string(let text): texts = [text]
                case .array(let items): texts = items.compactMap(\.stringValue)
                default: throw PrimitiveError("embed(texts) needs a string or a list of strings")
                }
                guard !texts.isEmpty else { return .array([]) }
                let vectors = try await models.embed(texts)
                let json = vectors.map { JSONValue.array($0.map { .number(Double($0)) }) }
                return arguments.first?.stringValue != nil ? json[0] : .array(json)
            },
        ]
    }

    /// `opts.history` of `think`: the persona's earlier exchange (`{{role = "user"|"assistant",
    /// content = "…"}, …}`), sent before the prompt — so a persona continues its own conversation,
    /// and a server's prompt cache serves all of it again.
    static func conversation(_ value: JSONValue?) throws -> [ChatMessage] {
        // An empty Lua table reads as an empty object.
        guard let value, value != .null, value != .object([:]) else { return [] }
        guard let items = value.arrayValue else { throw PrimitiveError("think's opts.history must be a list of {role, content}") }
        return try items.map { item in
            guard let content = item["content"]?.stringValue, let role = item["role"]?.stringValue,
                  role == "user" || role == "assistant" else {
                throw PrimitiveError("each entry of think's opts.history needs role \"user\" or \"assistant\" and a content string")
            }
            return ChatMessage(role: role == "user" ? .user : .assistant, content: content)
        }
    }

    /// The model binding of a persona proto: its `model` slot, else config.toml, else its codex.
    public static func binding(for proto: Proto, models: ModelManager) -> PersonaBinding {
        let persona = proto.name.lowercased()
        let model = proto.slots["model"]?.stringValue
            ?? (models.model(for: persona) == nil ? proto.codex["model"]?.stringValue : nil)
        return PersonaBinding(persona: persona, model: model, systemPrompt: proto.codex["system_prompt"]?.stringValue)
    }
}
