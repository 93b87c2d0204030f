extension Image {
    /// Checks the image file at `path` in full (SQLite's `integrity_check`, the image format and
    /// its sessions) without opening it as an image and without changing it: `a4ps image check`.
    /// Opening runs the lighter quick check only after an unclean shutdown (see the image store).
    ///
    /// - Throws: ``ImageError`` `.fileMissing` or `.notAnImage`; damage is in the report.
    public static func check(at path: String) throws(ImageError) -> ImageCheckReport {
        try ImageStore.check(at: path)
    }

    /// Why opening this image ran the full quick check (nil when the file was closed cleanly and
    /// its header matched its length).
    public var openCheckReason: String? { memory.store.openCheckReason }
}
