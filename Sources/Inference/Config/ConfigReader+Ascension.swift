import Foundation

extension ConfigReader {
    /// `[ascension]` (``AscensionSettings``).
    func readAscension() throws(ConfigError) -> AscensionSettings {
        var settings = AscensionSettings()
        let section = "ascension"
        let ascension = try table(section)
        if let gain = try number(ascension, section, "min_gain") {
            guard (-4...4).contains(gain) else { throw invalid(section, "min_gain", "must be between -4 and 4 (a difference of mean scores on the 1–5 scale)") }
            settings.minGain = gain
        }
        for (key, path) in [("validation_prompts", \AscensionSettings.validationPrompts), ("answer_tokens", \.answerTokens)] {
            if let value = try integer(ascension, section, key) {
                guard value > 0 else { throw invalid(section, key, "must be at least 1") }
                settings[keyPath: path] = value
            }
        }
        for (key, path) in [("adapter_examples", \AscensionSettings.adapterExamples), ("recurate_limit", \.recurateLimit)] {
            if let value = try integer(ascension, section, key) {
                guard value >= 0 else { throw invalid(section, key, "must be 0 (none) or more") }
                settings[keyPath: path] = value
            }
        }
        if let value = ascension["candidates"] {
            guard let entries = value.arrayValue else {
                throw invalid(section, "candidates", "must be a list: [\"qwen2.5:7b\", {name = \"llama3.1:70b\", size_gb = 40}]")
            }
            settings.candidates = try entries.map(candidate)
            var seen: Set<String> = []
            for entry in settings.candidates where !seen.insert(entry.name).inserted {
                throw invalid(section, "candidates", "names \(entry.name) twice")
            }
        }
        return settings
    }

    /// One entry of `[ascension] candidates`.
    private func candidate(_ entry: JSONValue) throws(ConfigError) -> AscensionSettings.Candidate {
        let section = "ascension"
        if let text = entry.stringValue {
            guard !text.isEmpty else { throw invalid(section, "candidates", "has an empty name") }
            return text.hasSuffix(".gguf") ? AscensionSettings.Candidate(name: LocalModelInstall.servedName(ofFile: text), file: text)
                : AscensionSettings.Candidate(name: text)
        }
        guard let table = entry.objectValue else {
            throw invalid(section, "candidates", "entries are names (\"qwen2.5:7b\"), GGUF paths, or tables {name = …, size_gb = …}")
        }
        let unknown = Set(table.keys).subtracting(["name", "size_gb", "file", "trainer_base"])
        guard unknown.isEmpty else {
            throw invalid(section, "candidates", "has an entry with unknown key(s) \(unknown.sorted().joined(separator: ", ")) (known: name, size_gb, file, trainer_base)")
        }
        let file = table["file"]?.stringValue
        guard let name = table["name"]?.stringValue ?? file.map(LocalModelInstall.servedName(ofFile:)), !name.isEmpty else {
            throw invalid(section, "candidates", "has a table entry without `name` (or `file`)")
        }
        var size: Int64?
        if let value = table["size_gb"] {
            guard let gigabytes = value.doubleValue, gigabytes > 0 else { throw invalid(section, "candidates", "size_gb of \(name) must be a positive number of GB") }
            size = Int64((gigabytes * 1e9).rounded())
        }
        if table["file"] != nil, file?.hasSuffix(".gguf") != true {
            throw invalid(section, "candidates", "file of \(name) must be the path of a .gguf file")
        }
        return AscensionSettings.Candidate(name: name, sizeBytes: size, file: file, trainerBase: table["trainer_base"]?.stringValue)
    }
}
