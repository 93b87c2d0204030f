import Foundation
import Inference
import Testing

/// `[system] history_keep_days`: absent keeps the whole change log; a whole number of days of 1
/// or more is the retention; anything else is refused, naming the key, its line and the fix.
@Suite("config.toml [system] history_keep_days")
struct HistoryRetentionConfigTests {
    @Test func absentKeepsTheWholeLog() throws {
        #expect(try A4PSConfig.parse("", environment: [:]).system.historyKeepDays == nil)
        #expect(try A4PSConfig.parse("[system]\nimage_path = \"x.image\"\n", environment: [:]).system.historyKeepDays == nil)
    }

    @Test func aWholeNumberOfDaysIsRead() throws {
        let config = try A4PSConfig.parse("[system]\nimage_path = \"x.image\"\nhistory_keep_days = 90\n", environment: [:])
        #expect(config.system.historyKeepDays == 90)
        #expect(config.system.imagePath == "x.image")
    }

    @Test(arguments: ["0", "-3", "1.5", "\"90\""])
    func otherValuesAreRefusedNamingTheFix(_ value: String) throws {
        let error = #expect(throws: ConfigError.self) {
            try A4PSConfig.parse("[system]\n\nhistory_keep_days = \(value)\n", path: "config.toml", environment: [:])
        }
        #expect(error?.code == .invalidValue)
        #expect(error?.key == "system.history_keep_days")
        #expect(error?.line == 3)
        #expect(error?.description.contains("whole number") == true, "\(error?.description ?? "")")
    }
}
