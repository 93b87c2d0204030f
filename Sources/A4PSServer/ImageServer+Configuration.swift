import Foundation

extension ImageServer {
    /// Where the server listens and what its door lets in: the token, the host names a client
    /// may use, the size of a body, how many sends run at once, and how long shutting down may take.
    public struct Configuration: Sendable {
        /// The address to listen on; anything but loopback needs a ``token``.
        public var host: String
        /// The port (0 picks a free one).
        public var port: Int
        /// The bearer token every request but `GET /health` must carry. Only a server on loopback
        /// may go without one (an in-process server that no other program is told about).
        public var token: ServerToken?
        /// Host names clients may reach the server by, besides 127.0.0.1, localhost, [::1] and ``host``
        /// (the machine's name or address when it listens on 0.0.0.0).
        public var allowedHosts: [String]
        /// The largest request body, in bytes.
        public var maxBodyBytes: Int
        /// How many message sends may run at once; more are refused (429) until one finishes.
        public var maxConcurrentSends: Int
        /// How often an idle event stream writes a comment line, which is how a client that has
        /// gone is noticed (its subscription then ends).
        public var eventHeartbeat: Duration
        /// How long a graceful shutdown (SIGTERM, SIGINT) waits for requests in flight before it
        /// cancels them.
        public var shutdownGrace: Duration

        public init(host: String = "127.0.0.1", port: Int = 8350, token: ServerToken?, allowedHosts: [String] = [],
                    maxBodyBytes: Int = 1 << 20, maxConcurrentSends: Int = 8, eventHeartbeat: Duration = .seconds(10),
                    shutdownGrace: Duration = .seconds(30)) {
            self.host = host
            self.port = port
            self.token = token
            self.allowedHosts = allowedHosts
            self.maxBodyBytes = maxBodyBytes
            self.maxConcurrentSends = maxConcurrentSends
            self.eventHeartbeat = eventHeartbeat
            self.shutdownGrace = shutdownGrace
        }

        /// Whether `host` names this machine's loopback interface only.
        public static func isLoopback(_ host: String) -> Bool {
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            if bare.lowercased() == "localhost" { return true }
            var v4 = in_addr()
            if inet_pton(AF_INET, bare, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
            var v6 = in6_addr()
            if inet_pton(AF_INET6, bare, &v6) == 1 {
                return withUnsafeBytes(of: &v6) { bytes in
                    bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
                        || (bytes.prefix(10).allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127)
                }
            }
            return false
        }

        /// The host names (without port) a request's `Host` may carry.
        var hostNames: [String] {
            var names = ["127.0.0.1", "localhost", "[::1]"]
            let bound = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
            if !["0.0.0.0", "[::]", ""].contains(bound) { names.append(bound.lowercased()) }
            names += allowedHosts.map { $0.lowercased() }
            return names
        }
    }
}
