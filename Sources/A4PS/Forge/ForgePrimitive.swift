import LivingImage

/// `forge(selector, args, description, language)` for Lua methods: runs the Tool Forge on the
/// receiver, writing a Lua method (`language` "lua", the default) or a Python tool ("python").
/// Answers `{forged = true, change, attempts}`; raises "could not forge …" with the last
/// attempt's errors when it gives up, and the refusal when no sandbox can run a Python tool.
/// Refused in a trial.
enum ForgePrimitive {
    static func make(_ forge: LateBound<ToolForge>) -> HostPrimitive {
        HostPrimitive(name: "forge") { arguments, context in
            guard let selector = arguments.first?.stringValue else { throw PrimitiveError("forge(selector, args, description) needs a selector") }
            // A forge installs into the live image: a trial (itself a verification on a clone) may not start one.
            if context.isTrial {
                throw PrimitiveError("forge is not available in a trial (a verification on a clone changes nothing): "
                    + "\(context.receiver)>>\(selector) was not forged")
            }
            let example = arguments.count > 1 ? arguments[1] : .null
            let description = arguments.count > 2 ? (arguments[2].stringValue ?? "") : ""
            let languageName = arguments.count > 3 ? (arguments[3].stringValue ?? "lua") : "lua"
            guard let language = ForgeLanguage(rawValue: languageName) else {
                throw PrimitiveError("forge: the language must be \"lua\" or \"python\", not \"\(languageName)\"")
            }
            let result = try await forge.get().forge(proto: context.receiver, selector: selector,
                                                     description: description.isEmpty ? "answer the message \(selector)" : description,
                                                     exampleArgs: example, language: language)
            guard let change = result.change else {
                let last = result.attempts.last?.errors.joined(separator: "; ") ?? "no attempt"
                throw PrimitiveError("could not forge \(context.receiver)>>\(selector) in \(result.attempts.count) attempts: \(last)")
            }
            return ["forged": true, "change": .integer(change.id), "attempts": .int(result.attempts.count)]
        }
    }
}
