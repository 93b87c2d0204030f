import Foundation

/// The pre-pull check of the philosophical loop: a candidate whose size exceeds the VRAM budget of
/// the persona's model server is refused before anything is pulled or loaded.
///
/// One function on purpose: when the governor gains its rule "model size within the VRAM budget"
/// (ALFRED's codex), ``refusal(model:sizeBytes:sizeSource:budgetBytes:server:)`` is where it is
/// called instead — the loop has no rule engine of its own.
public enum AscensionVRAMFit {
    /// Why `model` may not be pulled or loaded for an ascension, or nil when it fits. A size nobody
    /// knows is a refusal too: pulling it to find out is what the check is for.
    public static func refusal(model: String, sizeBytes: Int64?, sizeSource: String?, budgetBytes: Int64, server: String) -> String? {
        guard let sizeBytes else {
            return "the size of \(model) is unknown before it is pulled, so it cannot be checked against the VRAM budget of \(server) "
                + "(\(gigabytes(budgetBytes))): declare it in config.toml — [ascension] candidates = [{name = \"\(model)\", size_gb = N}]"
        }
        guard sizeBytes > budgetBytes else { return nil }
        return "\(model) needs \(gigabytes(sizeBytes)) (\(sizeSource ?? "its size")) but the VRAM budget of \(server) is "
            + "\(gigabytes(budgetBytes)): refused before pulling it — choose a smaller model or quantization, or raise vram_gb if the GPU has room"
    }

    static func gigabytes(_ bytes: Int64) -> String { String(format: "%.2f GB", Double(bytes) / 1e9) }
}
