import ArgumentParser
import LivingImage

/// `a4ps slot get|set`: a proto's state.
struct SlotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slot",
        abstract: "Read or write a proto's slots (JSON values).",
        subcommands: [Get.self, Set.self]
    )

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a slot's value (looked up along the parent chain).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The proto.") var proto: String
        @Argument(help: "The slot.") var slot: String

        func run() async throws {
            let image = try await options.open(writes: false)
            defer { image.close() }
            guard let value = try image.slot(slot, of: proto) else {
                throw ImageError(.invalidName, "'\(proto)' has no slot '\(slot)'")
            }
            emitLine(value.prettyText)
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a slot to a JSON value.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The proto.") var proto: String
        @Argument(help: "The slot.") var slot: String
        @Argument(help: "The value as JSON, e.g. 42, '\"text\"', '{\"a\": 1}'.") var value: String

        func run() async throws {
            let json = try parseJSONArgument(value, what: "VALUE")
            let image = try await options.open()
            defer { image.close() }
            if let record = try await image.setSlot(slot, of: proto, to: json) {
                emitLine("set \(proto).\(slot) (change #\(record.id))")
            } else {
                emitLine("\(proto).\(slot) already holds this value; nothing changed")
            }
        }
    }
}
