extension Script {
    /// How the scripted server fails to register a LoRA adapter, so that each refusal a real
    /// Ollama or vLLM may answer with can be tested (`"adapter_fault": {"kind": …, "message": …}`).
    public struct AdapterFault: Sendable, Codable, Hashable {
        /// What goes wrong.
        public enum Kind: String, Sendable, Codable, Hashable {
            /// Ollama: `/api/create` with `adapters` answers HTTP 400 `{"error": message}`, as an
            /// Ollama that no longer creates adapter models may. vLLM: `/v1/load_lora_adapter`
            /// answers 400 with the message (default: a rank larger than `--max-lora-rank`).
            case refuse
            /// Ollama: `/api/create` streams its first status lines, then `{"error": message}`.
            case errorLine = "error_line"
            /// Ollama: `/api/create` succeeds but leaves the adapter out of the model.
            case dropAdapter = "drop_adapter"
            /// vLLM: the runtime LoRA endpoints answer FastAPI's 404 `{"detail": "Not Found"}`,
            /// as without `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`.
            case noEndpoints = "no_endpoints"
        }

        public var kind: Kind
        /// The server's error text (`refuse`, `error_line`).
        public var message: String?

        public init(kind: Kind, message: String? = nil) {
            self.kind = kind
            self.message = message
        }
    }
}
