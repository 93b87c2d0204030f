/// The code extractor's verdict on a text, for tests and tools: `[method, tests]`, or nil.
public enum CodeExtractorProbe {
    public static func extract(_ answer: String) -> [String]? {
        CodeExtractor.extract(answer).map { [$0.method, $0.tests] }
    }
}
