/// The OS sandbox a Python tool runs in: bubblewrap (the default on Linux) or gVisor's `runsc`.
///
/// Both show the tool the same small world: an empty read-only root with the host's /usr, the
/// staged files at /sandbox and a private /tmp bound in, no network, and nobody (uid 65534) as
/// its user; both hold it to the same ``SandboxLimits``.
public enum SandboxRuntime: Sendable, Hashable, CustomStringConvertible {
    /// bubblewrap (`bwrap`, Debian's `bubblewrap`); `executable` overrides the lookup on PATH.
    ///
    /// The tool's system calls go to the host's kernel, confined by namespaces.
    case bubblewrap(executable: String? = nil)
    /// gVisor's `runsc` (Debian's `runsc`), started rootless with `runsc run` on an OCI bundle
    /// built for each run; `executable` overrides the lookup on PATH.
    ///
    /// It hides the host's file system as bubblewrap does, and puts gVisor's user-space kernel
    /// (the Sentry) between the tool and the host's kernel: choose it for that stronger boundary,
    /// at the cost of a slower start and slower system calls.
    case gVisor(executable: String? = nil)

    /// The default: bubblewrap found on PATH.
    public static var bubblewrap: SandboxRuntime { .bubblewrap(executable: nil) }

    public var description: String {
        switch self {
        case .bubblewrap: "bubblewrap"
        case .gVisor: "gVisor (runsc)"
        }
    }

    var commandName: String {
        switch self {
        case .bubblewrap: "bwrap"
        case .gVisor: "runsc"
        }
    }

    var configuredExecutable: String? {
        switch self {
        case .bubblewrap(let path), .gVisor(let path): path
        }
    }

    /// Whether stderr and the exit status are the runtime's own complaint that it could not set
    /// the sandbox up, rather than the tool's: bubblewrap begins it with `bwrap: `; runsc exits
    /// with 128 and says `running container: …`, `reading spec: …` or `FATAL ERROR: …`.
    func isStartFailure(standardError text: String, exitStatus: SandboxExitStatus) -> Bool {
        switch self {
        case .bubblewrap:
            text.hasPrefix("bwrap: ")
        case .gVisor:
            exitStatus == .exited(128)
                && ["running container: ", "reading spec: ", "FATAL ERROR: ", "flag provided but not defined: "]
                    .contains(where: text.contains)
        }
    }

    var installHint: String {
        switch self {
        case .bubblewrap:
            "apt-get install bubblewrap"
        case .gVisor:
            "apt-get install runsc (Debian 12 bookworm), or install gVisor from "
                + "https://gvisor.dev/docs/user_guide/install/, or configure the bubblewrap runtime"
        }
    }
}
