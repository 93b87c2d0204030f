/// `[sandbox]`: the OS sandbox Python tools run in, and its limits.
public struct SandboxSettings: Sendable, Hashable {
    /// `runtime` — which sandbox runs Python tools.
    public enum Runtime: String, Sendable, Hashable {
        /// bubblewrap (`bwrap`), the default on Linux.
        case bubblewrap
        /// gVisor's `runsc`, rootless, without network.
        case gvisor
    }

    /// `runtime` — `"bubblewrap"` (default) or `"gvisor"`.
    public var runtime = Runtime.bubblewrap
    /// `executable` — the runtime's path; unset looks `bwrap` / `runsc` up on PATH.
    public var executable: String? = nil
    /// `python` — the python3 to run inside; unset uses /usr/bin/python3.
    public var python: String? = nil
    /// `wall_time_seconds` — a whole run, after which it is killed. Default 10.
    public var wallTimeSeconds = 10.0
    /// `cpu_seconds` — CPU time per process. Default 5.
    public var cpuSeconds = 5
    /// `memory_mb` — address space per process, in MiB. Default 512.
    public var memoryMB = 512
    /// `processes` — processes and threads at once. Default 16.
    public var processes = 16
    /// `temp_mb` — the private writable temp dir, in MiB. Default 64.
    public var tempMB = 64

    public init() {}
}
