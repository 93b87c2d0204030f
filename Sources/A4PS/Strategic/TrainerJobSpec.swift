import Foundation
import JSON

/// What a trainer is asked to do: the job spec both shipped trainers (Scripts/trainers/cpu_lora.py
/// and unsloth_lora.py) and any `[strategic] trainer` command read from the JSON file named by
/// their one argument.
public struct TrainerJobSpec: Sendable, Hashable, Codable {
    /// The base model: a Hugging Face id or directory, or a GGUF file.
    public var baseModel: String
    /// The base as the GGUF the server serves (the CPU trainer loads it straight from there).
    public var baseGGUF: String?
    /// ChatML training examples, one `{"messages": [...]}` per line.
    public var dataset: String
    /// The fixed hold-out split, same format (the trainer reports its loss before and after).
    public var holdout: String?
    /// Where the trainer writes the PEFT directory (`peft/`) and the adapter GGUF.
    public var outputDirectory: String
    public var hyper: TrainerHyperparameters
    /// llama.cpp's convert_lora_to_gguf.py (default: the one Scripts/install-trainer put in the cache).
    public var convertScript: String?
    /// The adapter file's name without `.gguf` (default `adapter`).
    public var adapterName: String?

    public init(baseModel: String, baseGGUF: String? = nil, dataset: String, holdout: String? = nil, outputDirectory: String,
                hyper: TrainerHyperparameters = TrainerHyperparameters(), convertScript: String? = nil, adapterName: String? = nil) {
        self.baseModel = baseModel
        self.baseGGUF = baseGGUF
        self.dataset = dataset
        self.holdout = holdout
        self.outputDirectory = outputDirectory
        self.hyper = hyper
        self.convertScript = convertScript
        self.adapterName = adapterName
    }

    enum CodingKeys: String, CodingKey {
        case dataset, holdout, hyper
        case baseModel = "base_model"
        case baseGGUF = "base_gguf"
        case outputDirectory = "output_dir"
        case convertScript = "convert_script"
        case adapterName = "adapter_name"
    }

    /// The spec as the JSON the trainers read (keys sorted, unset fields left out).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The spec as a JSON value (for the job's record in the image).
    public var jsonValue: JSONValue {
        get throws { try JSONParser.parse(bytes: Array(jsonData())) }
    }

    /// The spec from its JSON.
    public static func decode(_ data: Data) throws -> TrainerJobSpec {
        try JSONDecoder().decode(TrainerJobSpec.self, from: data)
    }
}
