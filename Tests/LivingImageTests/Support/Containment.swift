import Foundation
import Testing
@testable import LivingImage

/// What a contained attack did: the error it ended with and how long the send took.
struct Contained {
    let error: ImageError?
    let elapsed: Duration
}

/// Installs `source` as BRICK>>probe, sends it under `limits`, and expects the send to fail with
/// one of `codes`, before `bound` (generous: far above what the limits allow, far below the
/// minutes an unbounded attack runs), leaving the image exactly as it was and the VM usable.
@discardableResult
func expectStopped(_ source: String, _ codes: Set<ImageError.Code>, limits: RunLimits = testLimits,
                   primitives: [HostPrimitive] = [], within bound: Duration = .seconds(60),
                   sourceLocation: SourceLocation = #_sourceLocation) async throws -> Contained {
    try await withImage(primitives: primitives) { image, _ in
        try await image.defineMethod("probe", on: "BRICK", source: source)
        let before = try ImageFingerprint(image)
        let clock = ContinuousClock()
        let start = clock.now
        var caught: ImageError?
        do {
            let answer = try await image.send("BRICK", "probe", .null, limits: limits)
            Issue.record("expected one of \(codes), got an answer of \(answer.jsonText.utf8.count) bytes", sourceLocation: sourceLocation)
        } catch let error as ImageError {
            caught = error
            #expect(codes.contains(error.code), "\(error.code): \(error.description.prefix(300))", sourceLocation: sourceLocation)
        }
        let elapsed = clock.now - start
        #expect(elapsed < bound, "the send ran \(elapsed)", sourceLocation: sourceLocation)
        #expect(try ImageFingerprint(image) == before, sourceLocation: sourceLocation)
        #expect(try await image.send("BRICK", "countdown", ["n": 2]) == [2, 1, 0], sourceLocation: sourceLocation)
        return Contained(error: caught, elapsed: elapsed)
    }
}

/// Test limits with no instruction budget to speak of, so that only the deadline can stop a send.
func deadlineOnly(seconds: Double = 1) -> RunLimits {
    var limits = testLimits
    limits.instructions = .max
    limits.wallClockSeconds = seconds
    return limits
}
