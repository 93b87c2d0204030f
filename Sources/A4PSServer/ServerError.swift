/// Why a server refuses to start: each message names the fix.
public struct ServerError: Error, CustomStringConvertible, Sendable {
    private enum Kind: Sendable {
        case exposedWithoutToken(host: String)
        case looseTokenFile(path: String, mode: Int)
        case tokenFile(path: String, problem: String)
    }

    private let kind: Kind

    /// Listening beyond loopback with no token to ask for.
    static func exposedWithoutToken(_ host: String) -> ServerError { ServerError(kind: .exposedWithoutToken(host: host)) }
    /// A token file others may read.
    static func looseTokenFile(_ path: String, mode: Int) -> ServerError { ServerError(kind: .looseTokenFile(path: path, mode: mode)) }
    /// A token file that cannot be used for another reason.
    static func tokenFile(_ path: String, _ problem: String) -> ServerError { ServerError(kind: .tokenFile(path: path, problem: problem)) }

    public var description: String {
        switch kind {
        case .exposedWithoutToken(let host):
            "refusing to listen on \(host) without a token: every other machine that reaches it could change the image's code. "
                + "Listen on 127.0.0.1 (the default), or give the server a token (a4ps serve makes one beside the image)"
        case .looseTokenFile(let path, let mode):
            "the server's token file \(path) can be read by others (mode \(String(mode, radix: 8))): "
                + "run `chmod 600 \(path)` and start again (or delete it: a new token is made)"
        case .tokenFile(let path, let problem):
            "the server's token file \(path) cannot be used: \(problem)"
        }
    }
}
