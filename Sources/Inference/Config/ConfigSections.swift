/// `[models]`: the model each persona thinks with, and the embedding model (the seeds' keys).
public struct ModelNames: Sendable, Hashable {
    /// `babs` — BABS, research and retrieval. Default `mistral:7b-instruct`.
    public var babs = "mistral:7b-instruct"
    /// `brick` — BRICK, logic and code. Default `phi3:mini-4k-instruct`.
    public var brick = "phi3:mini-4k-instruct"
    /// `robin` — ROBIN, synthesis and evaluation. Default `llama3.1:8b-instruct`.
    public var robin = "llama3.1:8b-instruct"
    /// `alfred` — ALFRED, supervisor and judge. Default `gemma2:9b-instruct`.
    public var alfred = "gemma2:9b-instruct"
    /// `embedding` — the model that embeds memory. Default `nomic-embed-text`.
    public var embedding = "nomic-embed-text"

    public init() {}

    /// The model named for a role (`babs`, `brick`, `robin`, `alfred`, `embedding`), case-insensitive.
    public func model(for role: String) -> String? {
        switch role.lowercased() {
        case "babs": babs
        case "brick": brick
        case "robin": robin
        case "alfred": alfred
        case "embedding": embedding
        default: nil
        }
    }

    /// The four personas, in the order a deliberation meets them.
    public static let personas = ["babs", "brick", "robin", "alfred"]
}

/// `[memory]`: where the scrapbook lives (the seeds' keys).
public struct MemorySettings: Sendable, Hashable {
    /// `db_path` — a separate scrapbook database; unset (default) keeps the scrapbook inside the image file.
    public var dbPath: String? = nil
    /// `table_name` — the scrapbook's table name. Default `a4ps_scrapbook`.
    public var tableName = "a4ps_scrapbook"

    public init() {}
}

/// `[motivator]`: the autotelic drive's thresholds (the seeds' keys).
public struct MotivatorSettings: Sendable, Hashable {
    /// `dissonance_threshold` — dissonance in [0,1] above which `cognitive_dissonance` is emitted. Default 0.8.
    public var dissonanceThreshold = 0.8
    /// `curiosity_interval_seconds` — how often memory is reviewed for gaps. Default 3600.
    public var curiosityIntervalSeconds = 3600

    public init() {}
}

/// `[system]`: process-wide settings (the seeds' keys).
public struct SystemSettings: Sendable, Hashable {
    /// `image_path` — the image file (SQLite). Default `./a4ps.image`.
    public var imagePath = "./a4ps.image"

    public init() {}
}

/// How the VRAM scheduler keeps models on the GPU.
public enum SchedulingPolicy: String, Sendable, Hashable, CaseIterable {
    /// The seeds' strategy: `keep_alive` 0, every call loads its model and unloads it afterwards.
    case sequential
    /// Keep models resident while they fit the VRAM budget; evict the least recently used first.
    case budget
}

/// `[scheduler]`: the VRAM budget and how models share it.
public struct SchedulerSettings: Sendable, Hashable {
    /// `vram_gb` — GPU memory the models may use, in GB (10^9 bytes). Default 8.
    public var vramGB = 8.0
    /// `policy` — `budget` (default) or `sequential`.
    public var policy = SchedulingPolicy.budget
    /// `keep_alive` — how long the server keeps a model the `budget` policy loaded, as Ollama's
    /// `keep_alive` (`"30m"`, seconds, negative = until unloaded). Default `"30m"`.
    public var keepAlive = KeepAlive.duration(seconds: 1800)

    public init() {}

    /// The budget in bytes.
    public var vramBytes: Int64 { Int64((vramGB * 1e9).rounded()) }
}

/// `[inference]`: timeouts and retries for every model call.
public struct InferenceSettings: Sendable, Hashable {
    /// `default_backend` — the backend personas use unless `[personas.NAME] backend` says otherwise. Default `ollama`.
    public var defaultBackend = "ollama"
    /// `connect_timeout_seconds` — how long to wait for a TCP connection. Default 5.
    public var connectTimeoutSeconds = 5.0
    /// `first_token_timeout_seconds` — how long to wait for the server's answer to start (includes loading the model). Default 300.
    public var firstTokenTimeoutSeconds = 300.0
    /// `idle_timeout_seconds` — the longest silence allowed between two streamed chunks. Default 120.
    public var idleTimeoutSeconds = 120.0
    /// `retries` — how often a call is retried when the connection fails before the first token. Default 3.
    public var retries = 3
    /// `retry_delay_ms` — the first backoff delay; it doubles on each retry. Default 250.
    public var retryDelayMilliseconds = 250
    /// `embed_batch_size` — how many texts one embedding request carries. Default 64.
    public var embedBatchSize = 64

    public init() {}

    /// The timeouts as a value the transports take.
    public var timeouts: RequestTimeouts {
        RequestTimeouts(
            firstByte: .milliseconds(Int64(firstTokenTimeoutSeconds * 1000)),
            idle: .milliseconds(Int64(idleTimeoutSeconds * 1000))
        )
    }

    /// The retry policy as a value the transports take.
    public var retryPolicy: RetryPolicy {
        RetryPolicy(maxRetries: retries, baseDelay: .milliseconds(Int64(retryDelayMilliseconds)))
    }
}

/// The protocol a backend speaks.
public enum BackendKind: String, Sendable, Hashable, CaseIterable {
    /// Ollama's native API (`/api/chat`, `/api/embed`, ...).
    case ollama
    /// The OpenAI-compatible API of vLLM, llama.cpp's server, LM Studio (`/v1/...`).
    case openai
}

/// `[backends.NAME]`: one model server.
public struct BackendSettings: Sendable, Hashable {
    /// The table's name (`NAME` in `[backends.NAME]`).
    public var name: String
    /// `kind` — `ollama` or `openai`.
    public var kind: BackendKind
    /// `host` — base URL. Ollama default: from `OLLAMA_HOST`, else `http://127.0.0.1:11434`.
    /// OpenAI-compatible: required (vLLM listens on port 8000 by default).
    public var host: String
    /// `api_key` — sent as `Authorization: Bearer KEY` (OpenAI-compatible servers). Optional.
    public var apiKey: String?
    /// `vram_gb` — this server's own VRAM budget, overriding `[scheduler] vram_gb`. Optional.
    public var vramGB: Double?

    public init(name: String, kind: BackendKind, host: String, apiKey: String? = nil, vramGB: Double? = nil) {
        self.name = name
        self.kind = kind
        self.host = host
        self.apiKey = apiKey
        self.vramGB = vramGB
    }
}

/// `[personas.NAME]`: where one persona's (or `embedding`'s) model is served.
public struct PersonaRouting: Sendable, Hashable {
    /// `backend` — a `[backends.NAME]` name. Default: `[inference] default_backend`.
    public var backend: String?
    /// `host` — this persona's own server URL, same kind as its backend (per-persona host). Optional.
    public var host: String?
    /// `adapter` — a fine-tuned variant to use instead of the base model (an Ollama model
    /// created with `adapters`, or a vLLM LoRA name). Optional.
    public var adapter: String?

    public init(backend: String? = nil, host: String? = nil, adapter: String? = nil) {
        self.backend = backend
        self.host = host
        self.adapter = adapter
    }
}
