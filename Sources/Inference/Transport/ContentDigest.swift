/// Names content by its SHA-256 (`sha256:<lowercase hex>`), as Ollama names blobs: the same
/// content always gets the same name (an ascension's evidence in its change-log entry, say).
public enum ContentDigest {
    /// `sha256:<hex>` of the text's UTF-8 bytes.
    public static func sha256(_ text: String) -> String { FileBlob.digest(of: Array(text.utf8)) }
}
