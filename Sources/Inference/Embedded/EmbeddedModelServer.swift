import AsyncHTTPClient
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// llama.cpp's `llama-server`, run and supervised by a4ps as its embedded default mind.
///
/// It runs in router mode (one port; each model a child process that loads on first use) with a
/// models preset a4ps writes: SmolLM2-135M-Instruct for the personas, all-MiniLM-L6-v2 with
/// `--embeddings` for memory. It listens on a free loopback port, logs to a file, is restarted
/// once when it dies, and never outlives a4ps: it is started under a small `sh` that holds the
/// read end of a pipe whose write end only a4ps has — when a4ps exits, even by SIGKILL, the pipe
/// closes and the shell stops the server (whose model children stop with it); when the server
/// dies, the shell exits and a4ps restarts it.
public actor EmbeddedModelServer {
    public nonisolated let install: LocalModelInstall
    /// Where the server's output goes (appended).
    public nonisolated let logPath: String
    private let threads: Int
    private let logger: Logger
    private var port: Int?
    private(set) var process: Process?
    /// The write end of the lifeline pipe; only this process holds it (close-on-exec).
    private var lifeline: FileHandle?
    private var restarts = 0
    private var stopping = false
    /// This server's models preset file (`run/models-PID-ID.ini`), removed when it stops.
    private(set) var presetPath: String?
    private let presetID = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    /// LoRA adapters served as models of their own (served name → adapter GGUF), registered with
    /// ``register(adapter:as:)``. Kept outside the actor's isolation so that the backend can route
    /// a request by name without waiting for the actor.
    nonisolated let adapterTable = Mutex<[String: String]>([:])
    /// The base GGUF of an adapter registered on another base than the chat model (served name → file).
    nonisolated let adapterBaseTable = Mutex<[String: String]>([:])
    /// Base models served beside the chat model (served name → GGUF file), registered with
    /// ``register(model:as:)``: the philosophical loop's candidates, and the models personas ascended to.
    nonisolated let modelTable = Mutex<[String: String]>([:])

    /// How many times a server that died is started again.
    public static let maxRestarts = 1

    public init(install: LocalModelInstall, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                logger: Logger = Logger(label: "a4ps.embedded")) {
        self.install = install
        self.threads = max(1, threads)
        self.logger = logger
        logPath = install.cacheDirectory + "/logs/llama-server.log"
    }

    /// The server's root URL once started.
    public var baseURL: String? { port.map { "http://127.0.0.1:\($0)" } }

    /// The process id of the running router (for `a4ps doctor` and tests).
    public var processIdentifier: Int32? { process?.isRunning == true ? process?.processIdentifier : nil }

    /// How many times it was restarted after dying.
    public var restartCount: Int { restarts }

    /// Starts the server (once) and waits until it answers `/health`; returns its root URL.
    public func start() async throws(EmbeddedServerError) -> String {
        if let baseURL, process?.isRunning == true { return baseURL }
        guard !stopping else { throw EmbeddedServerError(.stopped, "the embedded model server was stopped") }
        let missing = install.missing
        guard missing.isEmpty else {
            throw EmbeddedServerError(.notInstalled,
                "the embedded model is not installed (missing: \(missing.joined(separator: ", "))): run Scripts/install-local-model "
                + "(Scripts/install-deps runs it), or serve the seeds' models with `ollama serve` and `a4ps models pull`")
        }
        let port: Int
        if let known = self.port { port = known } else { port = try Self.freeLoopbackPort() }
        self.port = port
        try launch(port: port)
        try await waitUntilHealthy(port: port)
        return "http://127.0.0.1:\(port)"
    }

    /// Stops the server and its model processes, and waits for them to exit.
    public func stop() async {
        stopping = true
        if let lifeline {
            try? lifeline.close()
            self.lifeline = nil
        }
        if let process {
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process = nil
        if let presetPath { try? FileManager.default.removeItem(atPath: presetPath) }
    }

    // MARK: Launching

    /// Removes the presets of a4ps processes that are gone (`models-PID-ID.ini`; a SIGKILLed a4ps
    /// could not remove its own).
    static func removeStalePresets(in directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix("models-") && name.hasSuffix(".ini") {
            let pid = name.dropFirst("models-".count).prefix { $0.isNumber }
            guard let pid = Int32(pid), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    private func launch(port: Int) throws(EmbeddedServerError) {
        let fm = FileManager.default
        let runDirectory = install.cacheDirectory + "/run"
        do {
            try fm.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            try fm.createDirectory(atPath: install.cacheDirectory + "/logs", withIntermediateDirectories: true)
        } catch {
            throw EmbeddedServerError(.failedToStart, "cannot create \(runDirectory): \(error)")
        }
        Self.removeStalePresets(in: runDirectory)
        let presetPath = runDirectory + "/models-\(getpid())-\(presetID).ini"
        self.presetPath = presetPath
        do {
            try preset().write(toFile: presetPath, atomically: true, encoding: .utf8)
        } catch {
            throw EmbeddedServerError(.failedToStart, "cannot write the models preset \(presetPath): \(error)")
        }
        if !fm.fileExists(atPath: logPath) { _ = fm.createFile(atPath: logPath, contents: nil) }
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw EmbeddedServerError(.failedToStart, "cannot write the server log \(logPath)")
        }
        log.seekToEndOfFile()

        let process = Process()
        // Processes spawned from a4ps inherit a signal mask that blocks almost every signal
        // (SIGTERM and SIGCHLD among them); perl (perl-base is essential in Debian) clears it,
        // then runs the watchdog shell: it starts the server, stops it with SIGTERM when the
        // lifeline on its stdin reaches EOF, and exits with the server's status when the server
        // ends — so that a server that died is noticed and restarted.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        // (A background list's stdin is /dev/null in sh, so the watcher reads the lifeline as fd 3.)
        let watchdog = #"""
            exec 3<&0
            "$@" </dev/null 3<&- & server=$!
            { while read -r _ <&3; do :; done; kill -TERM "$server" 2>/dev/null; } & watcher=$!
            exec 3<&-
            wait "$server"; status=$?
            kill "$watcher" 2>/dev/null
            exit "$status"
            """#
        process.arguments = ["-e", #"use POSIX; sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec "/bin/sh", "-c", @ARGV"#,
                             watchdog, "a4ps-llama-server", install.serverExecutable,
                             "--models-preset", presetPath, "--host", "127.0.0.1", "--port", String(port),
                             "--models-max", "4"]
        // A pipe whose ends are close-on-exec, so that no child of a4ps (nor the shell itself)
        // inherits the write end: it closes exactly when a4ps stops or dies.
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0 else {
            throw EmbeddedServerError(.failedToStart, "cannot create the lifeline pipe: errno \(errno)")
        }
        let readEnd = FileHandle(fileDescriptor: ends[0], closeOnDealloc: true)
        let lifeline = FileHandle(fileDescriptor: ends[1], closeOnDealloc: true)
        process.standardInput = readEnd
        process.standardOutput = log
        process.standardError = log
        process.terminationHandler = { [weak self] ended in
            let status = ended.terminationStatus
            Task { await self?.ended(status: status) }
        }
        do {
            try process.run()
        } catch {
            throw EmbeddedServerError(.failedToStart, "cannot start \(install.serverExecutable): \(error)")
        }
        try? log.close()
        try? readEnd.close()
        self.process = process
        self.lifeline = lifeline
        logger.debug("started llama-server", metadata: ["port": "\(port)", "log": "\(logPath)"])
    }

    /// The router's models preset: every persona's model, the embedding model, one section per
    /// served base model (``register(model:as:)``) and one per registered adapter. The chat model has a slot (and its prompt cache) per persona, 4,096
    /// tokens each: the server gives a prompt the slot whose cached prompt it shares most with, so
    /// each persona's repeated prefix (system prompt, task, report, dialogue so far) is evaluated
    /// once per deliberation.
    ///
    /// An adapter's section is the chat model with `lora = FILE` and the same slots, so that a
    /// persona bound to it thinks as it did on the base, only with the adapter applied: the child
    /// that serves it loads the adapter at start at scale 1.0 (never `--lora-init-without-apply`,
    /// whose scales llama.cpp b11434 leaves at 1.0 anyway, and never `--lora` on the router's own
    /// command line, which every child would inherit). `cache-ram = 0` for all: llama-server's
    /// host-RAM prompt cache would leak KV computed with one adapter into another's requests.
    func preset() -> String {
        var text = """
            version = 1
            [*]
            t = \(threads)
            cache-ram = 0

            [\(LocalModelInstall.chatModel)]
            model = \(install.chatModelFile)
            \(Self.chatSlots)

            [\(LocalModelInstall.embeddingModel)]
            model = \(install.embeddingModelFile)
            embeddings = true
            pooling = mean
            c = 512
            b = 512
            ub = 512

            """
        for (name, file) in models.sorted(by: { $0.key < $1.key }) {
            text += """

                [\(name)]
                model = \(file)
                \(Self.chatSlots)

                """
        }
        for (name, adapter) in adapters.sorted(by: { $0.key < $1.key }) {
            text += """

                [\(name)]
                model = \(adapterBase(name) ?? install.chatModelFile)
                lora = \(adapter)
                \(Self.chatSlots)

                """
        }
        return text
    }

    /// The chat model's slots and context, shared by its adapters' sections.
    static let chatSlots = "np = 4\nc = 16384"

    private func ended(status: Int32) async {
        guard !stopping else { return }
        logger.warning("llama-server exited", metadata: ["status": "\(status)", "log": "\(logPath)"])
        process = nil
        lifeline = nil
        guard restarts < Self.maxRestarts, let port else { return }
        restarts += 1
        do {
            try launch(port: port)
            try await waitUntilHealthy(port: port)
            logger.notice("llama-server restarted", metadata: ["port": "\(port)"])
        } catch {
            logger.error("llama-server could not be restarted: \(error)")
        }
    }

    private func waitUntilHealthy(port: Int) async throws(EmbeddedServerError) {
        let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: 1)
        let outcome = await pollHealth(port: port, client: client)
        try? await client.shutdown()
        try outcome.get()
    }

    private func pollHealth(port: Int, client: HTTPClient) async -> Result<Void, EmbeddedServerError> {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            guard let process, process.isRunning else {
                return .failure(EmbeddedServerError(.failedToStart, "llama-server exited while starting: see \(logPath)\n" + logTail()))
            }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health")
            request.method = .GET
            if let response = try? await client.execute(request, timeout: .seconds(2)), response.status == .ok {
                return .success(())
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return .failure(EmbeddedServerError(.failedToStart, "llama-server did not answer /health within 120 s: see \(logPath)\n" + logTail()))
    }

    private func logTail() -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(10).joined(separator: "\n")
    }

    /// A port nobody listens on now, chosen by the kernel.
    static func freeLoopbackPort() throws(EmbeddedServerError) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw EmbeddedServerError(.failedToStart, "cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw EmbeddedServerError(.failedToStart, "cannot bind a loopback socket to find a free port") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw EmbeddedServerError(.failedToStart, "cannot read the free port's number") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
