import Foundation

/// One request the scripted server received, kept so tests can check what a client sent.
public struct RecordedRequest: Sendable, Hashable, Codable {
    public var method: String
    /// Path and query.
    public var path: String
    /// Request headers (lower-cased names).
    public var headers: [String: String]
    /// The body as text (binary bodies are summarised as `<N bytes>`).
    public var body: String
    /// Seconds since the server started.
    public var time: Double

    /// The body parsed as a JSON object, when it is one.
    public var jsonBody: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }
}

/// Counters of the scripted server: loads, unloads and how much simulated VRAM was ever resident.
public struct ScriptedServerStats: Sendable, Hashable, Codable {
    public var loads = 0
    public var unloads = 0
    /// Unloads the server did on its own to fit `vram_gb` (as Ollama does when memory runs out).
    public var serverEvictions = 0
    public var residentBytes: Int64 = 0
    public var peakResidentBytes: Int64 = 0
    public var resident: [String] = []
    public var chatRequests = 0
    public var embedRequests = 0
    /// Load events in order (model names), for checking a schedule.
    public var loadOrder: [String] = []

    enum CodingKeys: String, CodingKey {
        case loads, unloads, resident, loadOrder = "load_order"
        case serverEvictions = "server_evictions", residentBytes = "resident_bytes", peakResidentBytes = "peak_resident_bytes"
        case chatRequests = "chat_requests", embedRequests = "embed_requests"
    }
}
