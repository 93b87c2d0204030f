import Foundation

/// The settings in `config.toml`: the seeds' `[models]`, `[memory]`, `[motivator]`, `[system]`,
/// plus what the model layer needs (`[scheduler]`, `[inference]`, `[backends.*]`, `[personas.*]`).
///
/// Every key, with its default:
/// ```toml
/// [models]                       # which model each persona thinks with
/// babs = "mistral:7b-instruct"
/// brick = "phi3:mini-4k-instruct"
/// robin = "llama3.1:8b-instruct"
/// alfred = "gemma2:9b-instruct"
/// embedding = "nomic-embed-text"
///
/// [memory]
/// # db_path = "./scrapbook.sqlite"   # unset: the scrapbook lives in the image file
/// table_name = "a4ps_scrapbook"
///
/// [motivator]
/// dissonance_threshold = 0.8      # in [0, 1]
/// curiosity_interval_seconds = 3600
///
/// [system]
/// image_path = "./a4ps.image"
/// # history_keep_days = 90        # unset: keep the whole change log; else `a4ps image compact` (and
///                                 # `a4ps serve`, daily) removes older changes but what rollbacks need
///
/// [ascension]                    # the philosophical loop: a better base model, tried on a clone
/// candidates = []                 # "name", "/path/model.gguf", or {name, size_gb, file, trainer_base}
/// min_gain = 0.5                  # mean Oracle score (1–5) a candidate must gain over the binding
/// validation_prompts = 4          # golden hold-out prompts both minds answer
/// answer_tokens = 200             # longest answer per prompt
/// adapter_examples = 16           # golden examples for the clone's temporary adapter (0: none)
/// recurate_limit = 20             # past requests the new mind answers again after an ascension (0: none)
///
/// [scheduler]
/// vram_gb = 8                     # GB (10^9 bytes) the resident models may use
/// policy = "budget"               # "budget" (keep while they fit, evict LRU) | "sequential" (keep_alive 0)
/// keep_alive = "30m"              # how long the server keeps a model the budget policy loaded
///
/// [inference]
/// default_backend = "ollama"
/// connect_timeout_seconds = 5
/// first_token_timeout_seconds = 300   # includes loading the model
/// idle_timeout_seconds = 120          # longest silence between streamed chunks
/// retries = 3                         # connection failures before the first token
/// retry_delay_ms = 250                # doubles on each retry
/// embed_batch_size = 64
///
/// [sandbox]                      # where Python tools run (the Tool Forge writes them)
/// runtime = "bubblewrap"          # "bubblewrap" | "gvisor" (runsc, rootless, no network)
/// # executable = "/usr/bin/bwrap" # default: bwrap / runsc on PATH
/// # python = "/usr/bin/python3"   # the python3 run inside
/// wall_time_seconds = 10          # a whole run; then everything in the sandbox is killed
/// cpu_seconds = 5                 # per process
/// memory_mb = 512                 # address space per process
/// processes = 16                  # processes and threads at once
/// temp_mb = 64                    # the private writable /tmp
///
/// [backends.ollama]               # always present; override its host here
/// kind = "ollama"                 # "ollama" | "openai" | "embedded"
/// host = "http://127.0.0.1:11434" # default: OLLAMA_HOST, else this
/// # api_key = "..."               # optional: Authorization: Bearer
/// # api_key_env = "VLLM_API_KEY"  # optional: read the key from this environment variable
/// # vram_gb = 24                  # optional: this server's own budget
///
/// [personas.brick]                # optional, per persona (babs, brick, robin, alfred, embedding)
/// backend = "ollama"              # a [backends.NAME]
/// # host = "http://gpu-2:11434"   # this persona's own server (same kind as its backend)
/// # adapter = "brick:v2"          # a fine-tuned model or LoRA to use instead of [models]
/// ```
public struct A4PSConfig: Sendable, Hashable {
    /// `[models]`.
    public var models = ModelNames()
    /// `[memory]`.
    public var memory = MemorySettings()
    /// `[motivator]`.
    public var motivator = MotivatorSettings()
    /// `[strategic]`.
    public var strategic = StrategicSettings()
    /// `[philosophical]`.
    public var philosophical = PhilosophicalSettings()
    /// `[ascension]`.
    public var ascension = AscensionSettings()
    /// `[system]`.
    public var system = SystemSettings()
    /// `[scheduler]`.
    public var scheduler = SchedulerSettings()
    /// `[inference]`.
    public var inference = InferenceSettings()
    /// `[sandbox]`.
    public var sandbox = SandboxSettings()
    /// `[backends.NAME]`, by name; `ollama` and `embedded` (the local model a4ps runs) are always defined.
    public var backends: [String: BackendSettings]
    /// `[personas.NAME]`, by lower-case role name.
    public var personas: [String: PersonaRouting] = [:]
    /// The whole document as JSON, so other modules can read keys of their own.
    public var document: JSONValue = .object([:])
    /// The file the settings came from (nil for defaults or a parsed string).
    public var sourcePath: String?

    /// The documented defaults; the Ollama host comes from `OLLAMA_HOST` in `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        backends = [
            "ollama": BackendSettings(name: "ollama", kind: .ollama, host: OllamaHost.resolve(environment: environment)),
            "embedded": .embedded,
        ]
    }

    /// Loads `path`; a missing file gives the documented defaults, a malformed one a ``ConfigError``
    /// naming the line.
    public static func load(
        path: String = "config.toml",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> A4PSConfig {
        guard FileManager.default.fileExists(atPath: path) else {
            var config = A4PSConfig(environment: environment)
            config.sourcePath = nil
            return config
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(code: .unreadable, path: path, reason: "cannot read the file (\(error)); check its permissions and that it is UTF-8")
        }
        var config = try parse(text, path: path, environment: environment)
        config.sourcePath = path
        return config
    }

    /// Parses TOML text (`path` is only used in error messages).
    public static func parse(
        _ text: String,
        path: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> A4PSConfig {
        let reader = try ConfigReader(text: text, path: path)
        return try reader.read(environment: environment)
    }

    /// Where a role's model is served: its model (adapter if set) and its backend with any host override.
    public func route(for role: String) throws(ConfigError) -> ModelRoute {
        let role = role.lowercased()
        guard let baseModel = models.model(for: role) else {
            throw ConfigError(code: .unknownReference, path: sourcePath, key: "models.\(role)",
                reason: "no model is configured for '\(role)'; use one of babs, brick, robin, alfred, embedding")
        }
        let routing = personas[role] ?? PersonaRouting()
        let backendName = routing.backend ?? inference.defaultBackend
        guard var backend = backends[backendName] else {
            throw ConfigError(code: .unknownReference, path: sourcePath, key: "personas.\(role).backend",
                reason: "backend '\(backendName)' is not defined; add a [backends.\(backendName)] table")
        }
        if let host = routing.host {
            backend.host = Self.normalizedHost(host, kind: backend.kind)
            backend.name = "\(backendName)@\(backend.host)"
        }
        return ModelRoute(role: role, model: routing.adapter ?? baseModel, baseModel: baseModel, backend: backend)
    }

    /// Whether config.toml chose any model server at all (a backend, a persona's routing or a
    /// default backend); when it did not, a4ps uses Ollama if it answers, else the embedded model.
    /// Read from the file: true when it has `[backends.*]`, `[personas.*]` or `[inference] default_backend`.
    public var choosesModelServers = false

    /// These settings with every role on the embedded model: SmolLM2-135M-Instruct for the
    /// personas, all-MiniLM-L6-v2 for embeddings.
    public func onEmbeddedModel() -> A4PSConfig {
        var config = self
        config.inference.defaultBackend = BackendSettings.embedded.name
        config.personas = [:]
        config.models.babs = LocalModelInstall.chatModel
        config.models.brick = LocalModelInstall.chatModel
        config.models.robin = LocalModelInstall.chatModel
        config.models.alfred = LocalModelInstall.chatModel
        config.models.embedding = LocalModelInstall.embeddingModel
        return config
    }

    /// Every distinct backend the roles use, by effective name.
    public func usedBackends() -> [BackendSettings] {
        var seen: [String: BackendSettings] = [:]
        for role in ModelNames.personas + ["embedding"] {
            if let route = try? route(for: role) { seen[route.backend.name] = route.backend }
        }
        return seen.keys.sorted().map { seen[$0]! }
    }

    static func normalizedHost(_ host: String, kind: BackendKind) -> String {
        switch kind {
        case .ollama:
            return OllamaHost.resolve(host)
        case .openai:
            var url = host.trimming(" \t")
            if !url.contains("://") { url = "http://" + url }
            while url.hasSuffix("/") { url.removeLast() }
            if url.hasSuffix("/v1") { url.removeLast(3) }
            return url
        }
    }
}

/// Where one role's model is served, resolved from `config.toml`.
public struct ModelRoute: Sendable, Hashable {
    /// The role (`babs`, `brick`, `robin`, `alfred`, `embedding`).
    public var role: String
    /// The model to ask: the adapter when one is configured, else the base model.
    public var model: String
    /// The model named in `[models]`.
    public var baseModel: String
    /// The backend, with the per-persona host applied.
    public var backend: BackendSettings
}
