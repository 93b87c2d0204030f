#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import JSON

/// The OCI bundle gVisor's `runsc run` starts a tool from: a config.json and a read-only root that
/// is empty but for mount points and the merged-/usr symlinks, so the host's file system stays
/// out of sight except for what is bound in.
struct OCIBundle: Sendable {
    /// Something made inside the otherwise empty root before the run.
    enum RootEntry: Sendable, Hashable {
        case directory(String)
        case file(String)
        case symlink(String, target: String)
    }

    var arguments: [String]
    var environment: [String]
    var workingDirectory: String
    var userID: UInt32
    var hostname = "sandbox"
    private(set) var mounts: [JSONValue] = []
    private(set) var rootEntries: [RootEntry] = []

    init(arguments: [String], environment: [String], workingDirectory: String, userID: UInt32) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.userID = userID
    }

    /// Binds a host directory (or, with `isFile`, a file) read-only at the same or another path.
    mutating func bindReadOnly(_ source: String, at destination: String, isFile: Bool = false) {
        rootEntries.append(isFile ? .file(destination) : .directory(destination))
        mounts.append(["destination": .string(destination), "type": "bind", "source": .string(source), "options": ["rbind", "ro"]])
    }

    /// A private tmpfs of at most `sizeBytes`.
    mutating func mountTmpfs(at destination: String, sizeBytes: Int) {
        rootEntries.append(.directory(destination))
        mounts.append(["destination": .string(destination), "type": "tmpfs", "source": "tmpfs", "options": [.string("size=\(sizeBytes)")]])
    }

    /// The sandbox's own /proc, showing only its processes.
    mutating func mountProc(at destination: String) {
        rootEntries.append(.directory(destination))
        mounts.append(["destination": .string(destination), "type": "proc", "source": "proc"])
    }

    mutating func addDirectory(_ path: String) { rootEntries.append(.directory(path)) }

    mutating func addSymlink(_ path: String, to target: String) { rootEntries.append(.symlink(path, target: target)) }

    var config: JSONValue {
        let user = JSONValue.integer(Int64(userID))
        let noCapabilities: JSONValue = ["bounding": [], "effective": [], "inheritable": [], "permitted": [], "ambient": []]
        return [
            "ociVersion": "1.0.0",
            "process": [
                "terminal": false,
                "user": ["uid": user, "gid": user],
                "args": .array(arguments.map(JSONValue.string)),
                "env": .array(environment.map(JSONValue.string)),
                "cwd": .string(workingDirectory),
                "capabilities": noCapabilities,
                "noNewPrivileges": true,
            ],
            "root": ["path": "rootfs", "readonly": true],
            "hostname": .string(hostname),
            "mounts": .array(mounts),
            "linux": ["namespaces": .array(["pid", "network", "ipc", "uts", "mount"].map { ["type": .string($0)] })],
        ]
    }

    /// Makes `directory` (whose parent exists) the bundle: config.json and rootfs, all readable
    /// by the sandbox's user.
    func write(to directory: String) throws(SandboxError) {
        let root = directory + "/rootfs"
        try Self.makeDirectory(directory)
        try Self.makeDirectories("rootfs", under: directory)
        for entry in rootEntries {
            switch entry {
            case .directory(let path):
                try Self.makeDirectories(path, under: root)
            case .file(let path):
                try Self.makeDirectories(Self.parent(of: path), under: root)
                let descriptor = open(root + path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
                guard descriptor >= 0 else { throw Self.failure("creating", root + path) }
                close(descriptor)
            case .symlink(let path, let target):
                try Self.makeDirectories(Self.parent(of: path), under: root)
                guard symlink(target, root + path) == 0 || errno == EEXIST else { throw Self.failure("symlinking", root + path) }
            }
        }
        try StagingDirectory.writeReadable(directory + "/config.json", config.jsonText)
    }

    /// `mkdir -p base/relative`, each level it makes with mode 0755.
    private static func makeDirectories(_ relative: String, under base: String) throws(SandboxError) {
        var current = base
        for component in relative.split(separator: "/") {
            current += "/" + component
            try makeDirectory(current)
        }
    }

    /// mkdir with mode 0755 whatever the umask; one that exists is fine.
    private static func makeDirectory(_ path: String) throws(SandboxError) {
        if mkdir(path, 0o755) == 0 {
            chmod(path, 0o755)
        } else if errno != EEXIST {
            throw failure("mkdir", path)
        }
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    private static func failure(_ action: String, _ path: String) -> SandboxError {
        .stagingFailed("\(action) \(path): \(String(cString: strerror(errno)))")
    }
}
