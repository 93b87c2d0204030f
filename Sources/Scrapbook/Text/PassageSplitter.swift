/// Splits a document into overlapping passages of whole sentences (words for overlong ones), keeping paragraph breaks.
public struct PassageSplitter: Sendable, Hashable {
    /// Passage size and overlap, in characters.
    public struct Options: Sendable, Hashable {
        /// The longest passage; sentences longer than this are split at words.
        public var maxCharacters: Int = 1_500
        /// How much of the end of a passage is repeated at the start of the next one.
        public var overlapCharacters: Int = 200

        public init(maxCharacters: Int = 1_500, overlapCharacters: Int = 200) {
            self.maxCharacters = maxCharacters
            self.overlapCharacters = overlapCharacters
        }

        func validate() throws {
            guard maxCharacters >= 16 else {
                throw ScrapbookError(.invalidArgument, "passage maxCharacters must be at least 16")
            }
            guard overlapCharacters >= 0, overlapCharacters < maxCharacters / 2 else {
                throw ScrapbookError(
                    .invalidArgument, "passage overlapCharacters must be between 0 and half of maxCharacters")
            }
        }
    }

    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// A piece of text no longer than the maximum, and whether it ends a paragraph.
    private struct Unit {
        var text: String
        var length: Int
        var endsParagraph: Bool
    }

    /// The passages of `text`, in order; empty when the text is blank.
    public func split(_ text: String) -> [String] {
        let units = self.units(of: text)
        guard !units.isEmpty else { return [] }
        var passages: [String] = []
        var current: [Unit] = []
        var currentLength = 0

        func joined(_ units: [Unit]) -> String {
            var result = ""
            for (i, unit) in units.enumerated() {
                if i > 0 { result += units[i - 1].endsParagraph ? "\n\n" : " " }
                result += unit.text
            }
            return result
        }

        var i = 0
        while i < units.count {
            let unit = units[i]
            let added = currentLength + (current.isEmpty ? 0 : 2) + unit.length
            if current.isEmpty || added <= options.maxCharacters {
                current.append(unit)
                currentLength = added
                i += 1
                continue
            }
            passages.append(joined(current))
            // Carry the tail of the closed passage over, but never all of it (progress).
            var tail: [Unit] = []
            var tailLength = 0
            for previous in current.dropFirst().reversed() {
                let next = tailLength + previous.length + (tail.isEmpty ? 0 : 2)
                if next > options.overlapCharacters { break }
                tail.insert(previous, at: 0)
                tailLength = next
            }
            if tailLength + 2 + unit.length > options.maxCharacters {
                tail = []
                tailLength = 0
            }
            current = tail
            currentLength = tailLength
        }
        if !current.isEmpty { passages.append(joined(current)) }
        return passages
    }

    /// Sentences (cut into word chunks when too long), each knowing whether it ends its paragraph:
    /// sentence-sized units let the overlap carry whole sentences over.
    private func units(of text: String) -> [Unit] {
        var units: [Unit] = []
        for paragraph in paragraphs(of: text) {
            var pieces: [String] = []
            for sentence in sentences(of: paragraph) {
                if sentence.count <= options.maxCharacters {
                    pieces.append(sentence)
                } else {
                    pieces.append(contentsOf: wordChunks(of: sentence))
                }
            }
            for (j, piece) in pieces.enumerated() {
                units.append(Unit(text: piece, length: piece.count, endsParagraph: j == pieces.count - 1))
            }
        }
        return units
    }

    /// Paragraphs: runs of lines separated by blank lines, trimmed; blank ones dropped.
    private func paragraphs(of text: String) -> [String] {
        var result: [String] = []
        var lines: [Substring] = []
        func flush() {
            let paragraph = lines.joined(separator: "\n").trimmed
            if !paragraph.isEmpty { result.append(paragraph) }
            lines.removeAll()
        }
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if line.allSatisfy(\.isWhitespace) {
                flush()
            } else {
                lines.append(line)
            }
        }
        flush()
        return result
    }

    /// Sentences: text up to `.`, `!`, `?` or `…` (and closing quotes or brackets) followed by white space.
    private func sentences(of paragraph: String) -> [String] {
        var result: [String] = []
        var current = ""
        var pendingEnd = false
        for character in paragraph {
            if pendingEnd && character.isWhitespace {
                let sentence = current.trimmed
                if !sentence.isEmpty { result.append(sentence) }
                current = ""
                pendingEnd = false
                continue
            }
            current.append(character)
            if ".!?…".contains(character) {
                pendingEnd = true
            } else if !"\"'”’)]".contains(character) {
                pendingEnd = false
            }
        }
        let last = current.trimmed
        if !last.isEmpty { result.append(last) }
        return result
    }

    /// Chunks of whole words up to the maximum; a word longer than that is cut.
    private func wordChunks(of sentence: String) -> [String] {
        let limit = options.maxCharacters
        var chunks: [String] = []
        var current = ""
        var currentLength = 0
        for word in sentence.split(whereSeparator: \.isWhitespace) {
            var word = Substring(word)
            while word.count > limit {
                if !current.isEmpty {
                    chunks.append(current)
                    current = ""
                    currentLength = 0
                }
                let cut = word.index(word.startIndex, offsetBy: limit)
                chunks.append(String(word[..<cut]))
                word = word[cut...]
            }
            let wordLength = word.count
            if wordLength == 0 { continue }
            if currentLength > 0 && currentLength + 1 + wordLength > limit {
                chunks.append(current)
                current = ""
                currentLength = 0
            }
            if currentLength > 0 {
                current += " "
                currentLength += 1
            }
            current += word
            currentLength += wordLength
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }
}
