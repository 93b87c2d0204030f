/// A LoRA adapter served by the embedded server under a name of its own, loaded and ready
/// (``EmbeddedBackend/register(adapter:as:)``).
public struct AdapterRegistration: Sendable, Hashable {
    /// The name to think with (`model:` of a request, a persona's binding).
    public var name: String
    /// The adapter GGUF the model process loaded.
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
