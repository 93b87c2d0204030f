import Foundation
import Synchronization

/// How the browser UI signs in without the token ever entering a URL that stays in history or
/// a script the page runs: `a4ps serve` prints a URL with a **one-time login code**; opening it
/// spends the code and sets a session cookie (`HttpOnly`, `SameSite=Strict`, the server's path),
/// which then stands for the token on every request from the page.
///
/// A code lives ``codeLifetime`` and works once; sessions live as long as the server process
/// (a restart prints a new URL). Both are random 256-bit values, compared in constant time.
public final class LoginSessions: Sendable {
    /// The cookie that carries a session.
    public static let cookieName = "a4ps_session"
    /// How long a login code may wait to be used.
    public let codeLifetime: Duration

    private struct State {
        var codes: [String: ContinuousClock.Instant] = [:]
        var sessions: Set<String> = []
    }
    private let state = Mutex(State())

    public init(codeLifetime: Duration = .seconds(600)) {
        self.codeLifetime = codeLifetime
    }

    /// A new one-time login code.
    public func issueCode() -> String {
        let code = Self.randomHex()
        let now = ContinuousClock.now
        state.withLock { state in
            state.codes = state.codes.filter { now - $0.value < codeLifetime }
            state.codes[code] = now
        }
        return code
    }

    /// Spends `code`: a new session when it is a live code issued here, nil otherwise (unknown,
    /// spent or expired).
    public func redeem(_ code: String) -> String? {
        let now = ContinuousClock.now
        return state.withLock { state -> String? in
            guard let issued = state.codes.removeValue(forKey: code), now - issued < codeLifetime else { return nil }
            let session = Self.randomHex()
            state.sessions.insert(session)
            return session
        }
    }

    /// Whether `session` is a live session of this server.
    public func isValid(_ session: some StringProtocol) -> Bool {
        let presented = String(session)
        return state.withLock { state in state.sessions.contains(presented) }
    }

    /// Ends a session (the UI's "sign out").
    public func end(_ session: some StringProtocol) {
        let presented = String(session)
        _ = state.withLock { state in state.sessions.remove(presented) }
    }

    /// The session named by the request's `Cookie` header, if any.
    static func session(inCookieHeader header: String?) -> Substring? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == cookieName {
                return pair[1].drop { $0 == " " }
            }
        }
        return nil
    }

    private static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
