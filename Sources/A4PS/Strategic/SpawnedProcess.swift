import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process in a process group of its own, started with `posix_spawn`: an empty signal
/// mask and default signal dispositions (a4ps's threads block SIGTERM, and a child would inherit
/// that), stdin from /dev/null, stdout and stderr into pipes, and no other descriptor of a4ps
/// (so that nothing the child leaves running keeps a4ps's pipes or sockets open). Its end is
/// observed by a thread of its own blocked in `waitpid`.
///
/// Foundation's `Process` is not used here: it learns that a child ended when a socket the child
/// inherits closes, so a trainer killed while its converter still runs would never be seen ending.
struct SpawnedProcess: Sendable {
    /// The process id, which is also its process group's id.
    let pid: pid_t
    let standardOutput: FileHandle
    let standardError: FileHandle

    /// How a process ended.
    enum Termination: Sendable, Hashable {
        case exited(Int32)
        case signaled(Int32)
    }

    enum SpawnError: Error {
        case failed(String)
    }

    static func spawn(executable: String, arguments: [String], environment: [String: String]) throws(SpawnError) -> SpawnedProcess {
        var output: [Int32] = [-1, -1]
        var error: [Int32] = [-1, -1]
        guard Self.closeOnExecPipe(&output) else { throw .failed("cannot create a pipe: errno \(errno)") }
        guard Self.closeOnExecPipe(&error) else {
            close(output[0]); close(output[1])
            throw .failed("cannot create a pipe: errno \(errno)")
        }
        defer { close(output[1]); close(error[1]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, error[1], 2)
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            close(output[0]); close(error[0])
            throw .failed("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return SpawnedProcess(pid: pid, standardOutput: FileHandle(fileDescriptor: output[0], closeOnDealloc: false),
                              standardError: FileHandle(fileDescriptor: error[0], closeOnDealloc: false))
    }

    /// Waits for the process to end on a thread of its own, then calls `ended` (once).
    func whenEnded(_ ended: @escaping @Sendable (Termination) -> Void) {
        let pid = self.pid
        let thread = Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 {
                guard errno == EINTR else {
                    ended(.exited(-1))
                    return
                }
            }
            let signal = status & 0x7f
            ended(signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal))
        }
        thread.name = "a4ps.trainer.wait"
        thread.start()
    }

    /// A pipe whose ends other children do not inherit (the spawn's dup2 clears the flag on the child's copy).
    private static func closeOnExecPipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        guard fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0 else {
            close(ends[0]); close(ends[1])
            return false
        }
        return true
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not show.
    private static let closeFrom: CloseFrom? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()
}
