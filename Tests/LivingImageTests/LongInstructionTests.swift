import Foundation
import Testing
@testable import LivingImage

/// One VM instruction can run long: `a < b` on strings of "\0" bytes compares them with strcoll
/// piece by piece, about 8 ns a byte, and the hook used to look at the clock only every thousand
/// instructions. The watchdog makes the hook fire on the instruction after the deadline
/// (issue #10, item 2).
@Suite struct LongInstructionTests {
    static let comparisons = "local a = string.rep('\\0', 4000000) while true do local _ = a < a end"

    @Test func theDeadlineStopsALoopOfLongInstructions() async throws {
        let stopped = try await expectStopped(Self.comparisons, [.killed], limits: deadlineOnly(seconds: 1), within: .seconds(30))
        #expect(stopped.error?.description.contains("deadline of 1.0 s") == true, "\(stopped.error?.description ?? "")")
        let one = try await withImage { image, _ in
            try await image.defineMethod("one", on: "BRICK", source: """
                local a = string.rep('\\0', 4000000)
                local t = os.clock()
                local _ = a < a
                return os.clock() - t
                """)
            return try await image.send("BRICK", "one", limits: deadlineOnly(seconds: 30)).doubleValue ?? 0
        }
        print("a loop of 4 MB string comparisons under a 1 s deadline stopped after \(stopped.elapsed); "
            + "one comparison takes \(String(format: "%.3f", one)) s, so the hook's own check would come "
            + "after \(String(format: "%.0f", one * 1000)) s")
    }

    /// Runs that end just before, at or after their deadline, one after another on one VM: the
    /// watchdog never touches a run that has ended, and the VM stays usable.
    @Test func runsEndingAroundTheirDeadlineLeaveTheVMUsable() async throws {
        try await withImage { image, _ in
            try await image.defineMethod("short", on: "BRICK", source: """
                local a = string.rep('\\0', 20000)
                for i = 1, args do local _ = a < a end
                return args
                """)
            var killed = 0, answered = 0
            for i in 0..<300 {
                do {
                    _ = try await image.send("BRICK", "short", .integer(Int64(i % 40)), limits: deadlineOnly(seconds: 0.002))
                    answered += 1
                } catch let error as ImageError {
                    #expect(error.code == .killed, "\(error)")
                    killed += 1
                }
            }
            #expect(killed + answered == 300)
            #expect(try await image.send("BRICK", "countdown", ["n": 2]) == [2, 1, 0])
        }
    }
}
