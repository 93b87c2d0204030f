import AsyncHTTPClient

/// Which model servers a4ps thinks with when config.toml does not say: Ollama when it answers at
/// `OLLAMA_HOST`, else the embedded local model — and what to tell the person about it.
public enum ModelServerChoice {
    /// `config` as it should be used, and a notice for standard error when a4ps chose for the person.
    public static func resolve(
        _ config: A4PSConfig, httpClient: HTTPClient, install: LocalModelInstall = .locate()
    ) async -> (config: A4PSConfig, notice: String?) {
        guard !config.choosesModelServers, let ollama = config.backends["ollama"] else { return (config, nil) }
        let probe = OllamaBackend(baseURL: ollama.host, httpClient: httpClient,
                                  timeouts: RequestTimeouts(firstByte: .seconds(20), idle: .seconds(20)),
                                  retry: RetryPolicy(maxRetries: 0, baseDelay: .milliseconds(1)))
        if (try? await probe.version()) != nil { return (config, nil) }
        guard install.isComplete else {
            return (config, "a4ps: Ollama does not answer at \(ollama.host) and the embedded model is not installed "
                + "(missing: \(install.missing.joined(separator: ", "))) — run Scripts/install-local-model, or `ollama serve` and `a4ps models pull`")
        }
        return (config.onEmbeddedModel(),
                "a4ps: no model server is configured and Ollama does not answer at \(ollama.host): the personas think with the "
                + "embedded SmolLM2-135M-Instruct (135M parameters, on the CPU, through llama.cpp's server) and memory is "
                + "embedded with all-MiniLM-L6-v2. It is for trying A4PS; for the seeds' models run `ollama serve` and `a4ps models pull`.")
    }
}
