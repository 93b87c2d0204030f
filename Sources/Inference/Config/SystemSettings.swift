/// `[system]`: process-wide settings (the seeds' keys).
public struct SystemSettings: Sendable, Hashable {
    /// `image_path` — the image file (SQLite). Default `./a4ps.image`.
    public var imagePath = "./a4ps.image"

    public init() {}
}
