/// The OS sandbox a Python tool runs in: bubblewrap (the default on Linux) or gVisor's `runsc`.
public enum SandboxRuntime: Sendable, Hashable, CustomStringConvertible {
    /// bubblewrap (`bwrap`, Debian's `bubblewrap`); `executable` overrides the lookup on PATH.
    case bubblewrap(executable: String? = nil)
    /// gVisor's `runsc --rootless --network=none do`; `executable` overrides the lookup on PATH.
    ///
    /// `runsc do` shows the tool the host's file system through a throw-away overlay, so it hides
    /// less of the host than bubblewrap does; choose it for the stronger kernel boundary.
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

    var installHint: String {
        switch self {
        case .bubblewrap:
            "apt-get install bubblewrap"
        case .gVisor:
            "install gVisor's runsc (https://gvisor.dev/docs/user_guide/install/), or configure the bubblewrap runtime"
        }
    }
}
