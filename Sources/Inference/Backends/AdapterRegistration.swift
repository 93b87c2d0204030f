/// A LoRA adapter a backend serves under a name of its own, loaded and ready
/// (``AdapterServing/register(adapter:as:)``).
public struct AdapterRegistration: Sendable, Hashable {
    /// The name to think with (`model:` of a request, a persona's binding).
    public var name: String
    /// The adapter the server loaded (its GGUF, or the PEFT directory for vLLM).
    public var adapterPath: String
    /// From the load request to the router reporting the model loaded.
    public var loadDuration: Duration
    /// The whole registration: preset, reload, load.
    public var duration: Duration

    public init(name: String, adapterPath: String, loadDuration: Duration, duration: Duration) {
        self.name = name
        self.adapterPath = adapterPath
        self.loadDuration = loadDuration
        self.duration = duration
    }
}
