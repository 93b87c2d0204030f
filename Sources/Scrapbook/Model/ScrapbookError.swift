/// A Scrapbook failure: a ``code`` to match on and a message that says what to do about it.
///
/// ```swift
/// do { try await scrapbook.add("", source: .userDialogue) }
/// catch let error as ScrapbookError where error.code == .emptyText { ... }
/// ```
public struct ScrapbookError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for callers that handle some failures differently.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A memory, document or query text was empty or only whitespace.
        public static let emptyText = Code("emptyText")
        /// A memory or document text exceeded the configured hard cap.
        public static let textTooLarge = Code("textTooLarge")
        /// A file to ingest could not be read or is not UTF-8 text.
        public static let unreadableDocument = Code("unreadableDocument")
        /// A query vector does not have the scrapbook's dimension.
        public static let dimensionMismatch = Code("dimensionMismatch")
        /// The embedder threw; nothing of the failing batch was written.
        public static let embedderFailed = Code("embedderFailed")
        /// The embedder answered with the wrong number of vectors, empty, zero or non-finite ones.
        public static let badEmbedding = Code("badEmbedding")
        /// The stored vectors come from another embedding model than the current embedder's.
        public static let embeddingModelChanged = Code("embeddingModelChanged")
        /// The database holds Scrapbook migrations this build does not know.
        public static let newerSchema = Code("newerSchema")
        /// The database lacks the Scrapbook tables.
        public static let notMigrated = Code("notMigrated")
        /// An argument was out of range (limit, nprobe, configuration).
        public static let invalidArgument = Code("invalidArgument")
        /// The query has nothing to search with (no text for text search, neither text nor vector for vector search).
        public static let missingQuery = Code("missingQuery")

        /// Lets `catch ScrapbookError.Code.emptyText` match any error with that code.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? ScrapbookError)?.code == code
        }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension ScrapbookError {
    static func emptyText(_ what: String) -> ScrapbookError {
        ScrapbookError(.emptyText, "\(what) is empty: give some non-blank text")
    }

    static func textTooLarge(_ what: String, size: Int, limit: Int, hint: String) -> ScrapbookError {
        ScrapbookError(
            .textTooLarge,
            "\(what) is \(size) bytes, over the limit of \(limit) bytes: \(hint)")
    }

    static func dimensionMismatch(expected: Int, got: Int, model: String?) -> ScrapbookError {
        let space = model.map { " (model '\($0)')" } ?? ""
        return ScrapbookError(
            .dimensionMismatch,
            "the query vector has dimension \(got) but the scrapbook's vectors have dimension \(expected)\(space): embed the query with the same model as the memories"
        )
    }

    static func embedderFailed(model: String, underlying: any Error, pending: Int) -> ScrapbookError {
        ScrapbookError(
            .embedderFailed,
            "the embedder '\(model)' failed: \(underlying). Nothing of the failed batch was written; \(pending) text(s) still need an embedding: retry once the embedding server answers"
        )
    }

    static func modelChanged(stored: String, dimension: Int, current: String) -> ScrapbookError {
        ScrapbookError(
            .embeddingModelChanged,
            "the memories were embedded with '\(stored)' (dimension \(dimension)) but the embedder is now '\(current)': run `a4ps memory reindex --reembed` (Scrapbook.reembed()) to re-embed them before searching by vector"
        )
    }
}
