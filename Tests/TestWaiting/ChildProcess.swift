import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process for the tests, started with `posix_spawn` — the subset of `Foundation.Process`
/// the tests use. Not `Process`: on Linux, Swift 6.3.1's `Process.run()` over-reads its
/// `/proc/self/fd` listing and crashes the test process now and then (swift-corelibs-foundation
/// PR #5472, "Process.run() on Linux crashes intermittently"), and the suite spawns hundreds of
/// processes. Like `Process`, the child starts in a process group of its own and inherits no
/// descriptor but its standard input, output and error.
public final class ChildProcess: @unchecked Sendable {
    public var executableURL: URL?
    public var arguments: [String] = []
    /// The whole environment (nil: this process's).
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    /// `Pipe`, `FileHandle` (such as `FileHandle.nullDevice`) or nil (this process's own).
    public var standardInput: Any?
    public var standardOutput: Any?
    public var standardError: Any?

    private let state = Mutex<(pid: pid_t, status: Int32?)>((0, nil))

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let closeFrom: CloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    private static let changeDirectory: ChangeDirectory? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<T>(_ name: String) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }

    public init() {}

    public var processIdentifier: Int32 { state.withLock { $0.pid } }

    public func run() throws {
        guard let executable = executableURL?.path else { throw ChildProcessError("no executableURL") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        var nullDevice: Int32 = -1
        defer { if nullDevice >= 0 { close(nullDevice) } }
        func descriptor(_ stream: Any?, reading: Bool) -> Int32? {
            switch stream {
            case let pipe as Pipe: return (reading ? pipe.fileHandleForReading : pipe.fileHandleForWriting).fileDescriptor
            case let handle as FileHandle:
                if handle === FileHandle.nullDevice {
                    if nullDevice < 0 { nullDevice = open("/dev/null", O_RDWR) }
                    return nullDevice
                }
                return handle.fileDescriptor
            default: return nil
            }
        }
        for (stream, target, reading) in [(standardInput, Int32(0), true), (standardOutput, 1, false), (standardError, 2, false)] {
            if let fd = descriptor(stream, reading: reading) { posix_spawn_file_actions_adddup2(&actions, fd, target) }
        }
        // glibc's GNU extensions (2.34, 2.29), which Swift's Glibc module does not import.
        guard let closeFrom = Self.closeFrom, let changeDirectory = Self.changeDirectory else {
            throw ChildProcessError("this C library lacks posix_spawn_file_actions_addclosefrom_np/addchdir_np (glibc 2.34 or newer has them)")
        }
        _ = closeFrom(&actions, 3)
        if let directory = currentDirectoryURL?.path { _ = changeDirectory(&actions, directory) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            env.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, env)
        guard result == 0 else { throw ChildProcessError("posix_spawn \(executable): \(String(cString: strerror(result)))") }
        state.withLock { $0 = (pid, nil) }
        // The parent's copies of the child's ends of the pipes close, as Process does, so that reading sees the end.
        for (stream, reading) in [(standardInput, true), (standardOutput, false), (standardError, false)] {
            if let pipe = stream as? Pipe { try? (reading ? pipe.fileHandleForReading : pipe.fileHandleForWriting).close() }
        }
    }

    /// Reaps the child if it has exited; its raw wait status then.
    private func reap() -> Int32? {
        state.withLock { s -> Int32? in
            if let status = s.status { return status }
            guard s.pid > 0 else { return nil }
            var status: Int32 = 0
            let reaped = waitpid(s.pid, &status, WNOHANG)
            if reaped == s.pid || (reaped < 0 && errno == ECHILD) {
                s.status = status
                return status
            }
            return nil
        }
    }

    public var isRunning: Bool { processIdentifier > 0 && reap() == nil }

    public func waitUntilExit() {
        while isRunning { usleep(2000) }
    }

    /// Whether it exited (`.exit`) or was killed by a signal (`.uncaughtSignal`).
    public var terminationReason: Process.TerminationReason {
        guard let status = reap() else { return .exit }
        return (status & 0x7f) == 0 ? .exit : .uncaughtSignal
    }

    /// Its exit status, or the signal that killed it.
    public var terminationStatus: Int32 {
        guard let status = reap() else { return 0 }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f
    }
}

/// Why a child process could not be started.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
