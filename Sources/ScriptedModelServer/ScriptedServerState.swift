import Foundation

/// The scripted server's mutable world: known and pulled models, the resident set (as Ollama
/// keeps it), blobs, LoRA adapters, fault counters and the request log.
public actor ScriptedServerState {
    struct Resident {
        var bytes: Int64
        var expiresAt: Date?
        var lastUsed: UInt64
        var busy: Int
    }

    /// What one generation request will send.
    struct Plan: Sendable {
        var text: String
        var tokens: [String]
        var tokenDelay: Duration
        var fault: Script.Fault?
        /// Each token is sent as its send time (``Script/Rule/stampTokens``).
        var stampTokens = false
    }

    let script: Script
    let started = Date()
    private(set) var known: [String: Script.Model] = [:]
    private(set) var pulled: Set<String> = []
    var resident: [String: Resident] = [:]
    var loading: [String: Task<Void, Never>] = [:]
    var stats = ScriptedServerStats()
    var log: [RecordedRequest] = []
    var faultUses: [Int: Int] = [:]
    var replyCursor: [Int: Int] = [:]
    var blobs: [String: Int] = [:]
    var loras: [String: (path: String, base: String)] = [:]
    /// Models made with `/api/create`: their base, and the digest of their adapter blob.
    var created: [String: (base: String, adapter: String?)] = [:]
    var clock: UInt64 = 0
    private var regexCache: [String: NSRegularExpression] = [:]

    init(script: Script) {
        self.script = script
        for model in script.models {
            known[model.name] = model
            if model.pulled { pulled.insert(model.name) }
        }
    }

    // MARK: Requests

    func record(_ request: RecordedRequest) { log.append(request) }
    var requests: [RecordedRequest] { log }
    func clearRequests() { log.removeAll() }
    var uptime: Double { Date().timeIntervalSince(started) }

    /// Forgets requests, fault counters, reply positions and residency (as after a restart).
    func reset() {
        log.removeAll()
        faultUses.removeAll()
        replyCursor.removeAll()
        resident.removeAll()
        stats = ScriptedServerStats()
    }

    // MARK: Models

    /// The model if it is available locally (pulled, created, or accepted because the script says so).
    func localModel(_ name: String) -> Script.Model? {
        if pulled.contains(name) { return known[name] }
        if !name.contains(":"), pulled.contains(name + ":latest") { return known[name + ":latest"] }
        if script.acceptUnknownModels, known[name] == nil {
            let model = Script.Model(name: name, sizeGB: 1)
            known[name] = model
            pulled.insert(name)
            return model
        }
        return nil
    }

    func knownModel(_ name: String) -> Script.Model? { known[name] }

    var pulledModels: [Script.Model] { pulled.sorted().compactMap { known[$0] } }

    func markPulled(_ name: String) { pulled.insert(name) }

    func create(name: String, from base: Script.Model, extraBytes: Int, adapter: String? = nil) {
        var model = base
        model.name = name
        model.sizeGB = base.sizeGB + Double(extraBytes) / 1e9
        known[name] = model
        pulled.insert(name)
        created[name] = (base.name, adapter)
    }

    /// The base and adapter of a model made with `/api/create`; nil for the script's own models.
    func origin(of name: String) -> (base: String, adapter: String?)? { created[name] }

    // MARK: Rules

    func plan(model: String, prompt: String) -> Plan {
        for (index, rule) in script.rules.enumerated() where matches(rule, model: model, prompt: prompt) {
            var fault: Script.Fault?
            if let candidate = rule.fault {
                let used = faultUses[index, default: 0]
                if candidate.times.map({ used < $0 }) ?? true {
                    faultUses[index] = used + 1
                    fault = candidate
                }
            }
            var text: String
            if let replies = rule.replies, !replies.isEmpty {
                let cursor = replyCursor[index, default: 0]
                replyCursor[index] = cursor + 1
                text = replies[min(cursor, replies.count - 1)]
            } else if let json = rule.json {
                text = json.text
            } else {
                text = rule.reply ?? defaultReply(model: model, prompt: prompt)
            }
            text = script.textPrefix + text
            let delay = fault?.kind == .slowTokens ? (fault?.delayMilliseconds ?? 200) : (rule.tokenDelayMilliseconds ?? 0)
            return Plan(text: text, tokens: Self.tokenize(text, chunkCharacters: rule.chunkCharacters), tokenDelay: .milliseconds(delay), fault: fault,
                        stampTokens: rule.stampTokens ?? false)
        }
        let text = script.textPrefix + defaultReply(model: model, prompt: prompt)
        return Plan(text: text, tokens: Self.tokenize(text, chunkCharacters: nil), tokenDelay: .zero, fault: nil)
    }

    private func defaultReply(model: String, prompt: String) -> String {
        if let reply = script.defaultReply { return reply }
        let excerpt = prompt.count > 60 ? String(prompt.prefix(60)) + "…" : prompt
        return "[scripted reply: a4ps-scripted-server has no rule for \(model) and \"\(excerpt)\"; this is not a model's answer]"
    }

    private func matches(_ rule: Script.Rule, model: String, prompt: String) -> Bool {
        if let wanted = rule.model, wanted != "*", wanted != model { return false }
        if let needle = rule.contains, !prompt.contains(needle) { return false }
        if let pattern = rule.regex {
            if regexCache[pattern] == nil { regexCache[pattern] = try? NSRegularExpression(pattern: pattern) }
            guard let regex = regexCache[pattern] else { return false }
            let range = NSRange(prompt.startIndex..., in: prompt)
            if regex.firstMatch(in: prompt, range: range) == nil { return false }
        }
        return true
    }

    /// Words with their leading whitespace (`"Hello"`, `" world."`), or fixed-size pieces.
    static func tokenize(_ text: String, chunkCharacters: Int?) -> [String] {
        if let size = chunkCharacters, size > 0 {
            var pieces: [String] = []
            var current = ""
            for character in text {
                current.append(character)
                if current.count == size {
                    pieces.append(current)
                    current = ""
                }
            }
            if !current.isEmpty { pieces.append(current) }
            return pieces
        }
        var tokens: [String] = []
        var current = ""
        var sawWord = false
        for character in text {
            if character.isWhitespace, sawWord {
                tokens.append(current)
                current = ""
                sawWord = false
            }
            current.append(character)
            if !character.isWhitespace { sawWord = true }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }
}

extension ScriptedServerState {
    /// Removes a local model (`/api/delete`).
    func delete(_ name: String) {
        pulled.remove(name)
        created[name] = nil
        if resident.removeValue(forKey: name) != nil { stats.unloads += 1 }
    }
}
