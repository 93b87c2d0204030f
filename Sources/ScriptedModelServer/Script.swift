import Foundation

/// What a scripted model server answers: its models, rules matched on model and prompt, faults.
///
/// A script is JSON:
/// ```json
/// {
///   "text_prefix": "[scripted] ",          // prepended to every generated answer (default ""), to make text visibly
///                                          // scripted; it also precedes `json` answers, so leave it empty to test schemas
///   "default_reply": "…",                  // answer when no rule matches (default: a reply that says it is scripted)
///   "embedding_dimensions": 768,           // default vector size of /api/embed and /v1/embeddings
///   "vram_gb": 8,                          // simulated GPU: evicts least recently used like Ollama (default: unlimited)
///   "accept_unknown_models": false,        // answer for models not listed (as 1 GB, pulled)
///   "api_key": "secret",                   // require `Authorization: Bearer secret` on /v1 (default: none)
///   "ollama_version": "0.34.1",            // what /api/version reports (default: the scripted version)
///   "adapter_fault": {"kind": "refuse", "message": "…"},  // see AdapterFault
///   "models": [{"name": "phi3:mini-4k-instruct", "size_gb": 2.5, "load_ms": 20, "pulled": true,
///               "family": "phi3", "parameter_size": "3.8B", "quantization": "Q4_0",
///               "embedding_dimensions": 768, "context_length": 4096,
///               "pull_error": "connection reset", "pull_error_after": 2}],   // a pull that fails mid-stream
///   "rules": [{"model": "phi3:mini-4k-instruct", "contains": "capital of France", "regex": "^What",
///              "reply": "Paris.", "replies": ["first", "second"], "json": {"answer": 42},
///              "token_delay_ms": 0, "chunk_chars": 0, "stamp_tokens": false,
///              "fault": {"kind": "error_line", "after_tokens": 2, "times": 1, "message": "boom", "delay_ms": 0}}]
/// }
/// ```
/// Rules are tried in order; `model` (exact), `contains` (substring) and `regex` all must match
/// when given, against the last user message. `replies` are used in turn; `json` is serialized.
/// Fault kinds: `http_500`, `not_found`, `disconnect` (after `after_tokens`), `malformed_line`,
/// `error_line`, `slow_tokens` (`delay_ms` per token), `slow_start` (`delay_ms` before answering).
/// `times` limits a fault to the first N matching requests; after that the rule answers normally.
public struct Script: Sendable, Codable, Hashable {
    /// One model the server knows.
    public struct Model: Sendable, Codable, Hashable {
        public var name: String
        /// Simulated VRAM size in GB (10^9 bytes).
        public var sizeGB: Double
        /// Simulated load time in milliseconds.
        public var loadMilliseconds: Int
        /// Whether it is available locally (otherwise `/api/pull` must fetch it first).
        public var pulled: Bool
        public var family: String?
        public var parameterSize: String?
        public var quantization: String?
        public var embeddingDimensions: Int?
        public var contextLength: Int?
        /// A pull of it fails with this error line (HTTP 200, as Ollama reports a failure mid-stream)…
        public var pullError: String?
        /// …after this many progress lines of its layer (default 2).
        public var pullErrorAfter: Int?

        public init(name: String, sizeGB: Double, loadMilliseconds: Int = 0, pulled: Bool = true, family: String? = nil,
                    parameterSize: String? = nil, quantization: String? = nil, embeddingDimensions: Int? = nil, contextLength: Int? = nil,
                    pullError: String? = nil, pullErrorAfter: Int? = nil) {
            self.pullError = pullError
            self.pullErrorAfter = pullErrorAfter
            self.name = name
            self.sizeGB = sizeGB
            self.loadMilliseconds = loadMilliseconds
            self.pulled = pulled
            self.family = family
            self.parameterSize = parameterSize
            self.quantization = quantization
            self.embeddingDimensions = embeddingDimensions
            self.contextLength = contextLength
        }

        enum CodingKeys: String, CodingKey {
            case name, family, pulled, quantization
            case sizeGB = "size_gb", loadMilliseconds = "load_ms", parameterSize = "parameter_size"
            case embeddingDimensions = "embedding_dimensions", contextLength = "context_length"
            case pullError = "pull_error", pullErrorAfter = "pull_error_after"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            sizeGB = try c.decodeIfPresent(Double.self, forKey: .sizeGB) ?? 1
            loadMilliseconds = try c.decodeIfPresent(Int.self, forKey: .loadMilliseconds) ?? 0
            pulled = try c.decodeIfPresent(Bool.self, forKey: .pulled) ?? true
            family = try c.decodeIfPresent(String.self, forKey: .family)
            parameterSize = try c.decodeIfPresent(String.self, forKey: .parameterSize)
            quantization = try c.decodeIfPresent(String.self, forKey: .quantization)
            embeddingDimensions = try c.decodeIfPresent(Int.self, forKey: .embeddingDimensions)
            contextLength = try c.decodeIfPresent(Int.self, forKey: .contextLength)
            pullError = try c.decodeIfPresent(String.self, forKey: .pullError)
            pullErrorAfter = try c.decodeIfPresent(Int.self, forKey: .pullErrorAfter)
        }

        var sizeBytes: Int64 { Int64((sizeGB * 1e9).rounded()) }
    }

    /// A fault to inject into matching requests.
    public struct Fault: Sendable, Codable, Hashable {
        /// What goes wrong.
        public enum Kind: String, Sendable, Codable, Hashable {
            case http500 = "http_500"
            case notFound = "not_found"
            case disconnect
            case malformedLine = "malformed_line"
            case errorLine = "error_line"
            case slowTokens = "slow_tokens"
            case slowStart = "slow_start"
        }

        public var kind: Kind
        /// Tokens sent before the fault strikes (disconnect, malformed_line, error_line). Default 0.
        public var afterTokens: Int
        /// Only the first N matching requests get the fault; nil = all.
        public var times: Int?
        /// Text of the error (error_line, http_500).
        public var message: String?
        /// Delay in milliseconds (slow_tokens: per token; slow_start: before the answer).
        public var delayMilliseconds: Int?

        public init(kind: Kind, afterTokens: Int = 0, times: Int? = nil, message: String? = nil, delayMilliseconds: Int? = nil) {
            self.kind = kind
            self.afterTokens = afterTokens
            self.times = times
            self.message = message
            self.delayMilliseconds = delayMilliseconds
        }

        enum CodingKeys: String, CodingKey {
            case kind, times, message
            case afterTokens = "after_tokens", delayMilliseconds = "delay_ms"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kind = try c.decode(Kind.self, forKey: .kind)
            afterTokens = try c.decodeIfPresent(Int.self, forKey: .afterTokens) ?? 0
            times = try c.decodeIfPresent(Int.self, forKey: .times)
            message = try c.decodeIfPresent(String.self, forKey: .message)
            delayMilliseconds = try c.decodeIfPresent(Int.self, forKey: .delayMilliseconds)
        }
    }

    /// An answer for requests that match.
    public struct Rule: Sendable, Codable, Hashable {
        public var model: String?
        public var contains: String?
        public var regex: String?
        public var reply: String?
        public var replies: [String]?
        /// A JSON value to answer with (serialized compactly).
        public var json: JSONText?
        /// Delay between tokens in milliseconds (default 0).
        public var tokenDelayMilliseconds: Int?
        /// Cut the answer into chunks of this many characters instead of words.
        public var chunkCharacters: Int?
        /// Send each token as the moment it leaves the server, `⟨sent 1733312345678901⟩ ` (Unix
        /// time in microseconds) — for measuring how long a token takes to reach a client.
        public var stampTokens: Bool?
        public var fault: Fault?

        public init(model: String? = nil, contains: String? = nil, regex: String? = nil, reply: String? = nil, replies: [String]? = nil,
                    json: JSONText? = nil, tokenDelayMilliseconds: Int? = nil, chunkCharacters: Int? = nil, fault: Fault? = nil) {
            self.model = model
            self.contains = contains
            self.regex = regex
            self.reply = reply
            self.replies = replies
            self.json = json
            self.tokenDelayMilliseconds = tokenDelayMilliseconds
            self.chunkCharacters = chunkCharacters
            self.fault = fault
        }

        enum CodingKeys: String, CodingKey {
            case model, contains, regex, reply, replies, json, fault
            case tokenDelayMilliseconds = "token_delay_ms", chunkCharacters = "chunk_chars", stampTokens = "stamp_tokens"
        }
    }

    public var textPrefix: String
    public var defaultReply: String?
    public var embeddingDimensions: Int
    public var vramGB: Double?
    public var acceptUnknownModels: Bool
    public var apiKey: String?
    /// What `/api/version` reports; nil reports ``ScriptedModelServer/version``.
    public var ollamaVersion: String?
    /// How registering a LoRA adapter goes wrong (Ollama's create, vLLM's load); nil: it works.
    public var adapterFault: AdapterFault?
    public var models: [Model]
    public var rules: [Rule]

    public init(models: [Model] = Script.personaModels, rules: [Rule] = [], textPrefix: String = "", defaultReply: String? = nil,
                embeddingDimensions: Int = 768, vramGB: Double? = nil, acceptUnknownModels: Bool = false, apiKey: String? = nil,
                ollamaVersion: String? = nil, adapterFault: AdapterFault? = nil) {
        self.models = models
        self.rules = rules
        self.textPrefix = textPrefix
        self.defaultReply = defaultReply
        self.embeddingDimensions = embeddingDimensions
        self.vramGB = vramGB
        self.acceptUnknownModels = acceptUnknownModels
        self.apiKey = apiKey
        self.ollamaVersion = ollamaVersion
        self.adapterFault = adapterFault
    }

    enum CodingKeys: String, CodingKey {
        case models, rules
        case textPrefix = "text_prefix", defaultReply = "default_reply", embeddingDimensions = "embedding_dimensions"
        case vramGB = "vram_gb", acceptUnknownModels = "accept_unknown_models", apiKey = "api_key"
        case ollamaVersion = "ollama_version", adapterFault = "adapter_fault"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        models = try c.decodeIfPresent([Model].self, forKey: .models) ?? Script.personaModels
        rules = try c.decodeIfPresent([Rule].self, forKey: .rules) ?? []
        textPrefix = try c.decodeIfPresent(String.self, forKey: .textPrefix) ?? ""
        defaultReply = try c.decodeIfPresent(String.self, forKey: .defaultReply)
        embeddingDimensions = try c.decodeIfPresent(Int.self, forKey: .embeddingDimensions) ?? 768
        vramGB = try c.decodeIfPresent(Double.self, forKey: .vramGB)
        acceptUnknownModels = try c.decodeIfPresent(Bool.self, forKey: .acceptUnknownModels) ?? false
        apiKey = try c.decodeIfPresent(String.self, forKey: .apiKey)
        ollamaVersion = try c.decodeIfPresent(String.self, forKey: .ollamaVersion)
        adapterFault = try c.decodeIfPresent(AdapterFault.self, forKey: .adapterFault)
    }

    /// Reads a script file; the error names the file and what is wrong.
    public static func load(path: String) throws -> Script {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScriptError(message: "cannot read the script \(path) — check the path")
        }
        do {
            return try JSONDecoder().decode(Script.self, from: data)
        } catch {
            throw ScriptError(message: "the script \(path) is not a valid script: \(error) — see the format in Script's documentation")
        }
    }

    /// The seeds' four persona models and the embedding model, with the seeds' sizes.
    public static let personaModels: [Model] = [
        Model(name: "mistral:7b-instruct", sizeGB: 4.5, loadMilliseconds: 20, family: "llama", parameterSize: "7.2B", quantization: "Q4_0"),
        Model(name: "phi3:mini-4k-instruct", sizeGB: 2.5, loadMilliseconds: 20, family: "phi3", parameterSize: "3.8B", quantization: "Q4_0"),
        Model(name: "llama3.1:8b-instruct", sizeGB: 5.0, loadMilliseconds: 20, family: "llama", parameterSize: "8.0B", quantization: "Q4_0"),
        Model(name: "gemma2:9b-instruct", sizeGB: 5.5, loadMilliseconds: 20, family: "gemma2", parameterSize: "9.2B", quantization: "Q4_0"),
        Model(name: "nomic-embed-text", sizeGB: 0.3, loadMilliseconds: 5, family: "nomic-bert", parameterSize: "137M", quantization: "F16",
              embeddingDimensions: 768),
    ]
}

/// A script that cannot be used.
public struct ScriptError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A JSON value kept as compact text (what a rule answers with).
public struct JSONText: Sendable, Codable, Hashable {
    public var text: String

    public init(_ text: String) {
        self.text = text
    }

    public init(from decoder: any Decoder) throws {
        let value = try AnyJSON(from: decoder)
        let data = try JSONSerialization.data(withJSONObject: value.object, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        text = String(decoding: data, as: UTF8.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// Decodes any JSON into Foundation objects.
struct AnyJSON: Decodable {
    let object: Any

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            object = NSNull()
        } else if let b = try? container.decode(Bool.self) {
            object = b
        } else if let i = try? container.decode(Int.self) {
            object = i
        } else if let d = try? container.decode(Double.self) {
            object = d
        } else if let s = try? container.decode(String.self) {
            object = s
        } else if let a = try? container.decode([AnyJSON].self) {
            object = a.map(\.object)
        } else {
            let o = try container.decode([String: AnyJSON].self)
            object = o.mapValues(\.object)
        }
    }
}
