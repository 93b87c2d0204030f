import TOMLKit

/// Reads a parsed `config.toml` into ``A4PSConfig``, turning every mistake into a ``ConfigError`` with a line.
struct ConfigReader {
    let text: String
    let path: String?
    let document: [String: JSONValue]

    init(text: String, path: String?) throws(ConfigError) {
        self.text = text
        self.path = path
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(
                code: .malformed, path: path, line: error.source.begin.line, column: error.source.begin.column,
                reason: "not valid TOML: \(error.description); fix the syntax on that line")
        } catch {
            throw ConfigError(code: .malformed, path: path, reason: "not valid TOML: \(error)")
        }
        document = JSONValue(toml: table).objectValue ?? [:]
    }

    func read(environment: [String: String]) throws(ConfigError) -> A4PSConfig {
        var config = A4PSConfig(environment: environment)
        config.document = .object(document)
        config.choosesModelServers = document["backends"] != nil || document["personas"] != nil
            || document["inference"]?["default_backend"] != nil

        let models = try table("models")
        for role in ModelNames.personas + ["embedding"] {
            guard let name = try string(models, "models", role) else { continue }
            guard !name.isEmpty else { throw invalid("models", role, "must name a model, e.g. \"\(config.models.model(for: role)!)\"") }
            switch role {
            case "babs": config.models.babs = name
            case "brick": config.models.brick = name
            case "robin": config.models.robin = name
            case "alfred": config.models.alfred = name
            default: config.models.embedding = name
            }
        }

        let memory = try table("memory")
        config.memory.dbPath = try string(memory, "memory", "db_path")
        if let name = try string(memory, "memory", "table_name") { config.memory.tableName = name }

        let motivator = try table("motivator")
        if let threshold = try number(motivator, "motivator", "dissonance_threshold") {
            guard (0...1).contains(threshold) else { throw invalid("motivator", "dissonance_threshold", "must be between 0 and 1") }
            config.motivator.dissonanceThreshold = threshold
        }
        if let interval = try integer(motivator, "motivator", "curiosity_interval_seconds") {
            guard interval > 0 else { throw invalid("motivator", "curiosity_interval_seconds", "must be a positive number of seconds") }
            config.motivator.curiosityIntervalSeconds = interval
        }
        if let enabled = try bool(motivator, "motivator", "enabled") { config.motivator.enabled = enabled }
        if let goals = try integer(motivator, "motivator", "goals_per_hour") {
            guard goals >= 0 else { throw invalid("motivator", "goals_per_hour", "must be 0 or more") }
            config.motivator.goalsPerHour = goals
        }
        if let seconds = try number(motivator, "motivator", "model_seconds_per_day") {
            guard seconds >= 0 else { throw invalid("motivator", "model_seconds_per_day", "must be 0 or more seconds") }
            config.motivator.modelSecondsPerDay = seconds
        }
        if let forge = try bool(motivator, "motivator", "goals_may_forge") { config.motivator.goalsMayForge = forge }
        if let finetune = try bool(motivator, "motivator", "goals_may_finetune") { config.motivator.goalsMayFinetune = finetune }
        if let quiet = try string(motivator, "motivator", "quiet_hours") {
            let parts = quiet.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let start = parts[0], let end = parts[1], (0...23).contains(start), (0...24).contains(end), start != end else {
                throw invalid("motivator", "quiet_hours", "is \"START-END\" in whole hours, e.g. \"22-7\"")
            }
            config.motivator.quietHours = QuietHours(from: start, until: end)
        }

        let philosophical = try table("philosophical")
        if let days = try number(philosophical, "philosophical", "proposal_lifetime_days") {
            guard days > 0 else { throw invalid("philosophical", "proposal_lifetime_days", "must be a positive number of days") }
            config.philosophical.proposalLifetimeDays = days
        }

        config.ascension = try readAscension()

        let strategic = try table("strategic")
        if let value = strategic["score_deliberations"] {
            guard let on = value.boolValue else { throw invalid("strategic", "score_deliberations", "must be true or false") }
            config.strategic.scoreDeliberations = on
        }
        if let threshold = try number(strategic, "strategic", "golden_threshold") {
            guard (1...5).contains(threshold) else { throw invalid("strategic", "golden_threshold", "must be between 1 and 5 (the Oracle's scale)") }
            config.strategic.goldenThreshold = threshold
        }

        if let value = try integer(strategic, "strategic", "min_examples") {
            guard value >= 0 else { throw invalid("strategic", "min_examples", "must be 0 (no automatic fine-tune) or more") }
            config.strategic.minExamples = value
        }
        if let trainer = try string(strategic, "strategic", "trainer") {
            guard !trainer.isEmpty else { throw invalid("strategic", "trainer", "must be \"cpu\", \"unsloth\" or the path of a trainer executable") }
            config.strategic.trainer = trainer
        }
        config.strategic.trainerPython = try string(strategic, "strategic", "trainer_python")
        if config.strategic.trainer == "unsloth", config.strategic.trainerPython == nil {
            throw invalid("strategic", "trainer", "\"unsloth\" needs trainer_python = \"/path/to/python\" (a Python with Unsloth installed)")
        }
        config.strategic.baseModel = try string(strategic, "strategic", "base_model")
        if let gain = try number(strategic, "strategic", "min_gain") {
            guard (-4...4).contains(gain) else { throw invalid("strategic", "min_gain", "must be between -4 and 4 (a difference of mean scores on the 1–5 scale)") }
            config.strategic.minGain = gain
        }
        if let count = try integer(strategic, "strategic", "validation_prompts") {
            guard count > 0 else { throw invalid("strategic", "validation_prompts", "must be at least 1") }
            config.strategic.validationPrompts = count
        }
        for (key, path) in [("max_steps", \StrategicSettings.maxSteps), ("lora_r", \.loraRank), ("lora_alpha", \.loraAlpha),
                            ("batch_size", \.batchSize), ("max_seq_length", \.maxSequenceLength)] {
            if let value = try integer(strategic, "strategic", key) {
                guard value > 0 else { throw invalid("strategic", key, "must be at least 1") }
                config.strategic[keyPath: path] = value
            }
        }
        if let value = try number(strategic, "strategic", "epochs") { config.strategic.epochs = try positive(value, "strategic", "epochs") }
        if let value = try number(strategic, "strategic", "learning_rate") {
            config.strategic.learningRate = try positive(value, "strategic", "learning_rate")
        }

        let system = try table("system")
        if let image = try string(system, "system", "image_path") { config.system.imagePath = image }
        if let days = try integer(system, "system", "history_keep_days") {
            guard days >= 1 else {
                throw invalid("system", "history_keep_days", "must be a whole number of days, 1 or more (e.g. 90); "
                    + "to keep the whole change log, remove the key")
            }
            config.system.historyKeepDays = days
        }

        let scheduler = try table("scheduler")
        if let vram = try number(scheduler, "scheduler", "vram_gb") {
            guard vram > 0 else { throw invalid("scheduler", "vram_gb", "must be a positive number of GB, e.g. 8") }
            config.scheduler.vramGB = vram
        }
        if let policy = try string(scheduler, "scheduler", "policy") {
            guard let parsed = SchedulingPolicy(rawValue: policy) else {
                throw invalid("scheduler", "policy", "must be \"budget\" or \"sequential\", not \"\(policy)\"")
            }
            config.scheduler.policy = parsed
        }
        if let keepAlive = scheduler["keep_alive"] {
            guard let parsed = KeepAlive(keepAlive) else {
                throw invalid("scheduler", "keep_alive", "must be seconds or a duration such as \"30m\"")
            }
            config.scheduler.keepAlive = parsed
        }

        let sandbox = try table("sandbox")
        if let runtime = try string(sandbox, "sandbox", "runtime") {
            guard let parsed = SandboxSettings.Runtime(rawValue: runtime) else {
                throw invalid("sandbox", "runtime", "must be \"bubblewrap\" or \"gvisor\", not \"\(runtime)\"")
            }
            config.sandbox.runtime = parsed
        }
        config.sandbox.executable = try string(sandbox, "sandbox", "executable")
        config.sandbox.python = try string(sandbox, "sandbox", "python")
        if let value = try number(sandbox, "sandbox", "wall_time_seconds") {
            config.sandbox.wallTimeSeconds = try positive(value, "sandbox", "wall_time_seconds")
        }
        for (key, path) in [("cpu_seconds", \SandboxSettings.cpuSeconds), ("memory_mb", \.memoryMB),
                            ("processes", \.processes), ("temp_mb", \.tempMB)] {
            if let value = try integer(sandbox, "sandbox", key) {
                guard value > 0 else { throw invalid("sandbox", key, "must be at least 1") }
                config.sandbox[keyPath: path] = value
            }
        }

        let inference = try table("inference")
        if let name = try string(inference, "inference", "default_backend") { config.inference.defaultBackend = name }
        if let value = try number(inference, "inference", "connect_timeout_seconds") {
            config.inference.connectTimeoutSeconds = try positive(value, "inference", "connect_timeout_seconds")
        }
        if let value = try number(inference, "inference", "first_token_timeout_seconds") {
            config.inference.firstTokenTimeoutSeconds = try positive(value, "inference", "first_token_timeout_seconds")
        }
        if let value = try number(inference, "inference", "idle_timeout_seconds") {
            config.inference.idleTimeoutSeconds = try positive(value, "inference", "idle_timeout_seconds")
        }
        if let value = try integer(inference, "inference", "retries") {
            guard value >= 0 else { throw invalid("inference", "retries", "must be 0 or more") }
            config.inference.retries = value
        }
        if let value = try integer(inference, "inference", "retry_delay_ms") {
            guard value >= 0 else { throw invalid("inference", "retry_delay_ms", "must be 0 or more") }
            config.inference.retryDelayMilliseconds = value
        }
        if let value = try integer(inference, "inference", "embed_batch_size") {
            guard value > 0 else { throw invalid("inference", "embed_batch_size", "must be at least 1") }
            config.inference.embedBatchSize = value
        }

        for (name, value) in try table("backends").sorted(by: { $0.key < $1.key }) {
            let section = "backends.\(name)"
            guard case .object(let backend) = value else { throw invalid("backends", name, "must be a table: [backends.\(name)]") }
            let kindText = try string(backend, section, "kind") ?? (name == "ollama" ? "ollama" : nil)
            guard let kindText else { throw invalid(section, "kind", "is required: \"ollama\", \"openai\" or \"embedded\"", header: true) }
            if kindText == "embedded" {
                config.backends[name] = BackendSettings(name: name, kind: .openai, host: "embedded", isEmbedded: true)
                continue
            }
            guard let kind = BackendKind(rawValue: kindText) else {
                throw invalid(section, "kind", "must be \"ollama\", \"openai\" or \"embedded\", not \"\(kindText)\"")
            }
            let host: String
            if let given = try string(backend, section, "host") {
                host = A4PSConfig.normalizedHost(given, kind: kind)
            } else if kind == .ollama {
                host = OllamaHost.resolve(environment: environment)
            } else {
                throw invalid(section, "host", "is required for an OpenAI-compatible backend, e.g. \"http://127.0.0.1:8000\"", header: true)
            }
            var apiKey = try string(backend, section, "api_key")
            if apiKey == nil, let variable = try string(backend, section, "api_key_env") {
                guard let fromEnvironment = environment[variable], !fromEnvironment.isEmpty else {
                    throw invalid(section, "api_key_env", "names $\(variable), which is not set; export it or remove the key")
                }
                apiKey = fromEnvironment
            }
            var vram: Double?
            if let value = try number(backend, section, "vram_gb") { vram = try positive(value, section, "vram_gb") }
            config.backends[name] = BackendSettings(name: name, kind: kind, host: host, apiKey: apiKey, vramGB: vram)
        }

        for (name, value) in try table("personas").sorted(by: { $0.key < $1.key }) {
            let role = name.lowercased()
            let section = "personas.\(name)"
            guard config.models.model(for: role) != nil else {
                throw invalid("personas", name, "is not a role; use babs, brick, robin, alfred or embedding", header: true, code: .unknownReference)
            }
            guard case .object(let persona) = value else { throw invalid("personas", name, "must be a table: [personas.\(name)]") }
            let routing = PersonaRouting(
                backend: try string(persona, section, "backend"),
                host: try string(persona, section, "host"),
                adapter: try string(persona, section, "adapter"))
            if let backend = routing.backend, config.backends[backend] == nil {
                throw invalid(section, "backend", "names backend '\(backend)', which is not defined; add [backends.\(backend)]", code: .unknownReference)
            }
            config.personas[role] = routing
        }
        if config.backends[config.inference.defaultBackend] == nil {
            throw invalid("inference", "default_backend", "names backend '\(config.inference.defaultBackend)', which is not defined; add [backends.\(config.inference.defaultBackend)]", code: .unknownReference)
        }
        return config
    }

    // MARK: - Typed access

    func table(_ name: String) throws(ConfigError) -> [String: JSONValue] {
        guard let value = document[name] else { return [:] }
        guard case .object(let members) = value else {
            throw ConfigError(code: .invalidValue, path: path, line: line(ofKey: name, inTable: ""), key: name,
                reason: "must be a table: write [\(name)] on its own line")
        }
        return members
    }

    func string(_ table: [String: JSONValue], _ section: String, _ key: String) throws(ConfigError) -> String? {
        guard let value = table[key] else { return nil }
        guard case .string(let s) = value else { throw invalid(section, key, "must be a string in double quotes") }
        return s
    }

    func number(_ table: [String: JSONValue], _ section: String, _ key: String) throws(ConfigError) -> Double? {
        guard let value = table[key] else { return nil }
        guard let n = value.doubleValue else { throw invalid(section, key, "must be a number") }
        return n
    }

    private func bool(_ table: [String: JSONValue], _ section: String, _ key: String) throws(ConfigError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let b = value.boolValue else { throw invalid(section, key, "must be true or false") }
        return b
    }

    func integer(_ table: [String: JSONValue], _ section: String, _ key: String) throws(ConfigError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let n = value.intValue else { throw invalid(section, key, "must be a whole number") }
        return n
    }

    func positive(_ value: Double, _ section: String, _ key: String) throws(ConfigError) -> Double {
        guard value > 0 else { throw invalid(section, key, "must be greater than 0") }
        return value
    }

    func invalid(
        _ section: String, _ key: String, _ reason: String, header: Bool = false, code: ConfigError.Code = .invalidValue
    ) -> ConfigError {
        let line = header ? (line(ofHeader: "\(section)") ?? line(ofKey: key, inTable: section)) : line(ofKey: key, inTable: section)
        return ConfigError(code: code, path: path, line: line, key: "\(section).\(key)", reason: "\(section).\(key) \(reason)")
    }

    // MARK: - Source positions (TOMLKit reports positions only for syntax errors)

    private func line(ofKey key: String, inTable table: String) -> Int? {
        var current = ""
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let trimmed = raw.trimming(" \t\r")
            if let header = Self.header(of: trimmed) {
                current = header
                if table.isEmpty, header == key || header.hasPrefix(key + ".") { return number }
                continue
            }
            guard let eq = trimmed.firstIndex(of: "=") else { continue }
            let name = String(trimmed[..<eq]).trimming(" \t\"'")
            if name == key, current == table { return number }
            if table.isEmpty, current.isEmpty, name == key { return number }
            // Dotted keys written inline: `scheduler.vram_gb = 8` at the top level.
            if current.isEmpty, name == "\(table).\(key)" { return number }
        }
        return table.isEmpty ? nil : line(ofHeader: table)
    }

    private func line(ofHeader table: String) -> Int? {
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            if Self.header(of: raw.trimming(" \t\r")) == table { return number }
        }
        return nil
    }

    private static func header(of line: String) -> String? {
        guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return nil }
        let inner = line[line.index(after: line.startIndex)..<close].trimming("[] \t")
        return inner.split(separator: ".").map { $0.trimming(" \t\"'") }.joined(separator: ".")
    }
}
