import Foundation
import Inference
import LivingImage
import ToolSandbox

/// The tactical loop of self-creation: BRICK writes a missing Lua method (or a Python tool) and its
/// tests; the forge installs the candidate on a clone of the proto, runs the new tests (a Python
/// tool's in the OS sandbox) and every existing test of the proto against the clone, feeds
/// failures back to BRICK (up to `maxAttempts`), asks ALFRED to check it against the codex's
/// governance rules, and swaps it in by compare-and-swap with its provenance in the change log.
///
/// A proto's tests live in its slot `tests` (`{selector: lua}`), so later forges keep them passing;
/// its Python tools, with their own tests, in the slot `python_tools` (see ``PythonTools``).
public struct ToolForge: Sendable {
    let image: Image
    let models: ModelManager
    let sandbox: PythonSandbox
    let maxAttempts: Int
    let limits: RunLimits

    public init(image: Image, models: ModelManager, sandbox: PythonSandbox = PythonSandbox(), maxAttempts: Int = 3,
                limits: RunLimits = RunLimits(instructions: 20_000_000, wallClockSeconds: 30)) {
        self.image = image
        self.models = models
        self.sandbox = sandbox
        self.maxAttempts = maxAttempts
        self.limits = limits
    }

    /// Forges `selector` on `proto` from a description and an example argument, as a Lua method or
    /// as a Python tool. A Python tool is refused (``ForgeRefusal``) when no sandbox can run it.
    public func forge(proto: String, selector: String, description: String, exampleArgs: JSONValue = .null,
                      language: ForgeLanguage = .lua) async throws -> ForgeResult {
        try Name.validate(proto, as: .proto)
        try Name.validate(selector, as: .selector)
        if language == .python {
            do {
                // A real run, not only a lookup: bwrap or runsc may be installed where they cannot start.
                _ = try await sandbox.run(PythonTool(name: "probe", source: "def run(args):\n    return args"), arguments: 1)
            } catch {
                publish(proto, selector, "refused", ["reason": .string(error.description)])
                throw ForgeRefusal(reason: "the forge refuses to write Python tools here: \(error)")
            }
            guard selector.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ForgeRefusal(reason: "a Python tool's name must be letters, digits and underscores, not '\(selector)'")
            }
        }
        guard let brick = image.memory.proto(named: "BRICK") else { throw ImageError.noSuchProto("BRICK") }
        let binding = PersonaPrimitives.binding(for: brick, models: models)
        guard let target = image.memory.proto(named: proto) else { throw ImageError.noSuchProto(proto) }
        if target.methods[selector] != nil {
            throw ImageError(.invalidValue, "\(proto) already has \(selector): the forge only adds missing methods (redefine it with `a4ps method define`)")
        }
        // The governor admits the forge (forge_allowed, forge_attempts_per_hour) and counts it, before any model is asked.
        try image.admitForge(on: proto, selector: selector)
        publish(proto, selector, "started", ["description": .string(description), "language": .string(language.rawValue)])
        let prompt = prompt(for: target, selector: selector, description: description, example: exampleArgs, language: language)
        return try await attempt(binding, prompt: prompt, proto: proto, selector: selector, language: language, author: .forge,
                                 runID: "forge-\(proto)-\(selector)", precondition: .methodMissing)
    }

    /// What must still hold of the proto when a candidate is installed: the forge only adds a
    /// missing method; a debugger fix replaces exactly the method (and Python tool) that failed, so
    /// a person's redefinition made meanwhile is never overwritten.
    enum Precondition: Sendable {
        case methodMissing
        case unchanged(source: String, toolSource: String?)

        /// Why `proto` no longer admits the install, or nil.
        func violation(in proto: Proto, selector: String) -> String? {
            switch self {
            case .methodMissing:
                guard proto.methods[selector] != nil else { return nil }
                return "\(proto.name)>>\(selector) was defined meanwhile; the forge only adds missing methods and installs nothing"
            case .unchanged(let source, let toolSource):
                let tool = proto.slots[PythonTools.slot]?[selector]?["source"]?.stringValue
                guard proto.methods[selector]?.source != source || tool != toolSource else { return nil }
                return "\(proto.name)>>\(selector) was redefined meanwhile (someone else repaired it); the fix is not installed"
            }
        }
    }

    /// How many times a candidate is verified again when its proto changed between verification
    /// and install, before the forge gives up.
    static let maxVerifications = 3

    /// The loop the forge and the debugger share: ask the persona, extract the candidate, verify it
    /// on a clone, feed the failures back, up to `maxAttempts`; install the first that passes —
    /// against the very version it was verified on (a change in between means verifying again).
    func attempt(_ binding: PersonaBinding, prompt: String, proto: String, selector: String, language: ForgeLanguage = .lua,
                 author: ChangeAuthor, runID: String, provenance extra: [String: JSONValue] = [:],
                 precondition: Precondition = .methodMissing, repairing session: DebugSession? = nil) async throws -> ForgeResult {
        var result = ForgeResult(proto: proto, selector: selector, language: language,
                                 model: binding.model ?? models.model(for: binding.persona) ?? "?", attempts: [])
        var conversation: [ChatMessage] = [.user(prompt)]
        for number in 1...maxAttempts {
            var attempt = ForgeResult.Attempt(number: number, method: nil, tests: nil, errors: [])
            let answerText: String
            do {
                let answer = try await models.chat(binding, messages: conversation, options: ForgeAnswer.options, runID: runID)
                answerText = answer.text
                if let json = answer.json, let candidate = CodeExtractor.extract(json, language: language) {
                    attempt.method = candidate.method
                    attempt.tests = candidate.tests
                    for round in 1...Self.maxVerifications {
                        let base = image.memory.proto(named: proto)
                        let stale = base.map { precondition.violation(in: $0, selector: selector) } ?? "\(proto) no longer exists"
                        if let stale {
                            attempt.errors = [stale]
                            result.attempts.append(attempt)
                            publish(proto, selector, "gaveUp", ["reason": .string(stale)])
                            return result
                        }
                        guard let base else { break }
                        attempt.errors = await verify(candidate, on: base, selector: selector, language: language, author: author,
                                                      repairing: session)
                        guard attempt.errors.isEmpty else { break }
                        var provenance = ForgeResult(proto: proto, selector: selector, language: language, model: result.model,
                                                     attempts: result.attempts + [attempt]).provenance
                        if case .object(let members) = provenance { provenance = .object(members.merging(extra) { _, new in new }) }
                        do {
                            result.change = try await install(candidate, on: base, selector: selector, language: language,
                                                              author: author, provenance: provenance)
                            result.attempts.append(attempt)
                            publish(proto, selector, "installed", ["attempt": .int(number), "change": .integer(result.change?.id ?? 0)])
                            return result
                        } catch let error as ImageError where error.code == .conflict && round < Self.maxVerifications {
                            // The proto changed after the verification: what was verified is not what would be installed.
                            publish(proto, selector, "reverifying", ["attempt": .int(number), "reason": .string(error.description)])
                        } catch {
                            attempt.errors.append("the swap failed: \(error)")
                            result.attempts.append(attempt)
                            publish(proto, selector, "gaveUp", ["reason": .string("\(error)")])
                            return result
                        }
                    }
                } else {
                    attempt.errors = ["the answer had no code and tests: give both fields, \"code\" and \"tests\", non-empty"]
                }
            } catch let error as InferenceError where error.code == .schemaValidationFailed {
                // A truncated or malformed answer is a failed attempt, told to the persona like any other.
                answerText = error.rejectedText ?? ""
                attempt.errors = ["the answer was not the JSON object asked for: "
                    + (error.violations.isEmpty ? "it does not parse (too long? keep the code short)" : error.violations.map(\.description).joined(separator: "; "))]
            }
            publish(proto, selector, "attemptFailed", ["attempt": .int(number), "errors": .array(attempt.errors.map { .string($0) })])
            result.attempts.append(attempt)
            conversation += [.assistant(answerText), .user(ForgeAnswer.retry(attempt.errors))]
        }
        publish(proto, selector, "gaveUp", ["attempts": .int(maxAttempts)])
        return result
    }

    /// Swaps a verified candidate in (method and its tests) by compare-and-swap against `base`, the
    /// proto it was verified on, with its provenance; a `conflict` when `base` is no longer current.
    func install(_ candidate: CodeExtractor.Candidate, on base: Proto, selector: String, language: ForgeLanguage,
                 author: ChangeAuthor, provenance: JSONValue) async throws -> ChangeRecord? {
        let updated = applying(candidate, to: base, selector: selector, language: language)
        return try await image.memory.swap(updated, expecting: base.version, author: author, reason: provenance.jsonText)
    }

    /// The proto with the candidate in it: a Lua method and its tests in the slot `tests`; or a
    /// Python tool in the slot `python_tools` and the Lua method that calls it.
    private func applying(_ candidate: CodeExtractor.Candidate, to proto: Proto, selector: String, language: ForgeLanguage) -> Proto {
        var clone = proto.clone()
        switch language {
        case .lua:
            clone.define(selector, source: candidate.method)
            var tests = clone.slots["tests"]?.objectValue ?? [:]
            tests[selector] = .string(candidate.tests)
            clone.slots["tests"] = .object(tests)
        case .python:
            clone.define(selector, source: PythonTools.bridgeMethod(proto: proto.name, selector: selector))
            var tools = clone.slots[PythonTools.slot]?.objectValue ?? [:]
            tools[selector] = ["source": .string(candidate.method), "tests": .string(pythonTests(candidate, selector: selector, in: proto))]
            clone.slots[PythonTools.slot] = .object(tools)
        }
        return clone
    }

    /// A Python tool's tests: a tool being repaired keeps its earlier tests, followed by the new
    /// ones (a new test of the same name replaces an earlier one).
    private func pythonTests(_ candidate: CodeExtractor.Candidate, selector: String, in proto: Proto) -> String {
        let earlier = proto.slots[PythonTools.slot]?[selector]?["tests"]?.stringValue
        return [earlier, candidate.tests].compactMap { $0 }.joined(separator: "\n\n")
    }

    /// Every reason not to install the candidate on `base` (empty when it passes): its tests and
    /// every existing test of the proto on a clone; for a debugger fix also the failing message
    /// replayed on the clone, and its new test failing on the old code; ALFRED's review; the governor.
    func verify(_ candidate: CodeExtractor.Candidate, on base: Proto, selector: String, language: ForgeLanguage = .lua,
                author: ChangeAuthor = .forge, repairing session: DebugSession? = nil) async -> [String] {
        let proto = base.name
        // `-- BRICK>>double: what it does` — the colon may belong to the comment, not the selector.
        func bare(_ s: String) -> Substring { s.hasSuffix(":") ? s.dropLast() : Substring(s) }
        if let declared = candidate.declaredTarget, bare(declared) != bare("\(proto)>>\(selector)") {
            return ["the candidate is for \(bare(declared)), but the forge was asked for \(proto)>>\(selector)"]
        }
        let installed = applying(candidate, to: base, selector: selector, language: language)
        var clone = installed
        var tests: [(String, String)] = []
        switch language {
        case .lua:
            tests.append(("new tests", candidate.tests))
        case .python:
            do {
                let report = try await sandbox.test(PythonTool(name: selector, source: candidate.method,
                                                               tests: pythonTests(candidate, selector: selector, in: base)))
                if !report.passed { return [report.feedback] }
            } catch {
                return ["the sandbox could not run the tests: \(error)"]
            }
        }
        for (name, source) in (base.slots["tests"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let source = source.stringValue { tests.append(("existing tests of \(name)", source)) }
        }
        for (index, test) in tests.enumerated() { clone.define("__forge_test_\(index)", source: test.1) }
        var errors: [String] = []
        for (index, test) in tests.enumerated() {
            do {
                _ = try await image.trial(clone, proto, "__forge_test_\(index)", .null, limits: limits)
            } catch {
                errors.append("\(test.0) failed: \(error.description)" + (error.traceback.map { "\n" + $0 } ?? ""))
            }
        }
        guard errors.isEmpty else { return errors }
        if let session {
            errors = await checkRepair(candidate, of: session, on: base, fixed: installed, language: language)
            guard errors.isEmpty else { return errors }
        }
        do {
            let review = try await image.send("ALFRED", "review", ["proto": .string(proto), "selector": .string(selector),
                                                                   "source": .string(candidate.method), "author": .string(author.rawValue),
                                                                   "language": .string(language.rawValue)],
                                              author: .system)
            if review["approved"] != true {
                return (review["violations"]?.arrayValue ?? []).map { "ALFRED's governance: \($0.stringValue ?? $0.jsonText)" }
            }
        } catch {
            return ["ALFRED's governance review failed: \(error)"]
        }
        return image.governorVetoes(swapping: installed, author: author).map { "the governor: \($0.description)" }
    }

    /// A debugger fix must repair the failure it was asked for: the session's message, replayed on
    /// the fixed clone, succeeds; and its new test fails on the old code (it reproduces the failure).
    private func checkRepair(_ candidate: CodeExtractor.Candidate, of session: DebugSession, on base: Proto, fixed: Proto,
                             language: ForgeLanguage) async -> [String] {
        var errors: [String] = []
        do {
            _ = try await image.trial(fixed, session.proto, session.selector, session.args, limits: limits)
        } catch {
            errors.append("the failing message (\(session.proto) \(session.selector) \(session.args.jsonText)) still fails "
                + "with the fix: \(error.description)")
        }
        switch language {
        case .lua:
            var old = base
            old.define("__forge_test_reproduces", source: candidate.tests)
            if (try? await image.trial(old, base.name, "__forge_test_reproduces", .null, limits: limits)) != nil {
                errors.append("the new test passes on the old code too: it must reproduce the failure "
                    + "(send `\(session.selector)` with \(session.args.jsonText) and check the answer)")
            }
        case .python:
            guard let oldSource = base.slots[PythonTools.slot]?[session.selector]?["source"]?.stringValue else { break }
            do {
                let report = try await sandbox.test(PythonTool(name: session.selector, source: oldSource, tests: candidate.tests))
                if report.passed {
                    errors.append("the new tests pass on the old tool too: they must reproduce the failure "
                        + "(call run(\(session.args.jsonText)) and check the answer)")
                }
            } catch {
                errors.append("the sandbox could not run the new tests on the old tool: \(error)")
            }
        }
        return errors
    }

    private func prompt(for target: Proto, selector: String, description: String, example: JSONValue, language: ForgeLanguage) -> String {
        let describe = (try? image.describe(target.name))?.prettyText ?? target.name
        let what = language == .lua ? "Lua method" : "Python tool"
        return """
            Write the \(what) `\(selector)` for the proto \(target.name) of a living image.
            What it must do: \(description)
            Example argument (`args`): \(example.jsonText)

            The proto:
            \(describe)

            \(houseRules(for: target.name, selector: selector, language: language))
            """
    }

    private func houseRules(for proto: String, selector: String, language: ForgeLanguage) -> String {
        switch language {
        case .lua:
            """
            House rules for methods: the body of a Lua 5.4 function that receives `self` (the receiver) and `args`
            (the message's JSON argument) and returns a JSON value. Available: self:get(slot), self:set(slot, value),
            self:send(selector, args), send(proto, selector, args), think(prompt, opts), embed(texts),
            memory.search(query, opts), memory.add(text, opts), python(tool, args) (the proto's Python tools), log(...),
            emit(name, payload), json.encode/decode/null/array,
            string, table, math, utf8, os.time/clock/date, pcall, error, assert. Not available: io, os.execute, require,
            load, dofile, debug, package, coroutine, print.

            \(ForgeAnswer.instruction(
                code: "the method body, its first line a comment `-- \(proto)>>\(selector): what it does`",
                tests: "Lua code with assert(...) that calls the method with self:send(\"\(selector)\", args) on examples and checks the answers"))
            """
        case .python:
            """
            House rules for Python tools: Python 3 with its standard library only. The tool defines
            `def run(args):`, which gets the message's JSON argument (dicts, lists, str, int, float, bool, None)
            and returns a JSON-encodable answer. It runs in a sandbox: no network, a read-only file system
            except /tmp, no other processes, limits on CPU time and memory — do not try to get around them.

            \(ForgeAnswer.instruction(
                code: "the tool, its first line a comment `# \(proto)>>\(selector): what it does`",
                tests: "functions named test_* that call run(...) on examples and check the answers with assert"))
            """
        }
    }

    private func publish(_ proto: String, _ selector: String, _ stage: String, _ detail: JSONValue) {
        image.events.publish(.emitted(proto: proto, name: "forge.\(stage)", payload: ["selector": .string(selector), "detail": detail]))
    }
}
