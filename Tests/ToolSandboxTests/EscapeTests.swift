import Foundation
import JSON
import Testing
import ToolSandbox

/// Each escape attempt a Python tool could make: refused or contained, nothing outside touched,
/// under each runtime (``SandboxRuntimes``). Serialized, so the fork bomb and the endless loop do
/// not starve the other cases of a 2-core machine's CPU.
@Suite("Escape attempts are refused or contained", .serialized)
struct EscapeTests {
    @Test(arguments: await SandboxRuntimes.available)
    func networkConnectionFails(runtime: SandboxRuntime) async throws {
        let listener = try LoopbackListener()
        let tool = PythonTool(name: "net", source: """
            import socket
            def run(args):
                results = {}
                try:
                    socket.create_connection(("127.0.0.1", args["port"]), timeout=2).close()
                    results["loopback"] = "connected"
                except OSError as e:
                    results["loopback"] = "refused: %s" % e
                try:
                    socket.getaddrinfo("pypi.org", 443)
                    results["dns"] = "resolved"
                except OSError as e:
                    results["dns"] = "failed: %s" % e
                return results
            """)
        let run = try await PythonSandbox(runtime: runtime).run(tool, arguments: ["port": .int(Int(listener.port))])
        let answer = try #require(run.answer)
        #expect(answer["loopback"]?.stringValue?.hasPrefix("refused") == true, "\(answer)")
        #expect(answer["dns"]?.stringValue?.hasPrefix("failed") == true, "\(answer)")
        #expect(!listener.hasPendingConnection)
    }

    @Test(arguments: await SandboxRuntimes.available)
    func writingOutsideTheTempDirFails(runtime: SandboxRuntime) async throws {
        let outside = try HostDirectory()
        let tool = PythonTool(name: "writer", source: """
            import os
            def run(args):
                results = {}
                for path in [args["dir"] + "/escaped.txt", "/usr/escaped.txt", "/sandbox/escaped.txt", "/escaped.txt"]:
                    try:
                        with open(path, "w") as f:
                            f.write("escaped")
                        results[path] = "written"
                    except OSError as e:
                        results[path] = type(e).__name__
                with open("/tmp/inside.txt", "w") as f:
                    f.write("fine")
                results["tmp"] = open("/tmp/inside.txt").read()
                return results
            """)
        let run = try await PythonSandbox(runtime: runtime).run(tool, arguments: ["dir": .string(outside.path)])
        let answer = try #require(run.answer?.objectValue, "\(run.outcome)")
        #expect(answer["tmp"] == "fine")
        for (path, result) in answer where path != "tmp" {
            #expect(result != "written", "\(path) was written")
        }
        #expect(!FileManager.default.fileExists(atPath: outside.path + "/escaped.txt"))
        #expect(!FileManager.default.fileExists(atPath: "/usr/escaped.txt"))
    }

    @Test(arguments: await SandboxRuntimes.available)
    func readingOutsideTheAllowedPathsFails(runtime: SandboxRuntime) async throws {
        let outside = try HostDirectory()
        let secret = outside.path + "/secret.txt"
        try "the secret".write(toFile: secret, atomically: true, encoding: .utf8)
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let tool = PythonTool(name: "reader", source: """
            import os
            def run(args):
                results = {}
                try:
                    results["secret"] = open(args["secret"]).read()
                except OSError as e:
                    results["secret"] = type(e).__name__
                for path in [args["home"], "/work", "/root", "/opt", "/var", "/etc/shadow", "/etc/passwd"]:
                    results[path] = os.path.exists(path)
                results["tmp"] = os.listdir("/tmp")
                return results
            """)
        let run = try await PythonSandbox(runtime: runtime).run(tool, arguments: ["secret": .string(secret), "home": .string(home)])
        let answer = try #require(run.answer, "\(run.outcome)")
        #expect(answer["secret"] == "FileNotFoundError")
        for path in [home, "/work", "/root", "/opt", "/var", "/etc/shadow", "/etc/passwd"] {
            #expect(answer[path] == false, "\(path) is visible")
        }
        #expect(answer["tmp"] == [])
    }

    @Test(arguments: await SandboxRuntimes.available)
    func forkBombIsContained(runtime: SandboxRuntime) async throws {
        let marker = "a4ps-forkbomb-\(UUID().uuidString)"
        var limits = SandboxLimits()
        limits.wallTime = .milliseconds(1500)
        let tool = PythonTool(name: "bomb", source: """
            import os
            MARKER = \(String(reflecting: marker))
            def run(args):
                children = 0
                while True:
                    try:
                        if os.fork() == 0:
                            os.execv("/usr/bin/python3", ["python3", "-c", "import os\\nwhile True:\\n  try: os.fork()\\n  except OSError: pass", MARKER])
                        children += 1
                    except OSError:
                        if children > 1000:
                            raise
            """)
        let clock = ContinuousClock()
        let start = clock.now
        let run = try await PythonSandbox(runtime: runtime, limits: limits).run(tool, arguments: nil)
        #expect(clock.now - start < .seconds(60), "the bomb never ends on its own: only a limit stops it")
        #expect(run.limitHit != nil, "\(run.outcome)")
        #expect(await survivors(of: marker).isEmpty)
        #expect(await runscSurvivors().isEmpty)
        // The machine is fine: a normal tool still runs.
        let after = try await PythonSandbox(runtime: runtime).run(PythonTool(name: "ok", source: "def run(args):\n    return 1\n"), arguments: nil)
        #expect(after.answer == 1)
    }

    @Test(arguments: await SandboxRuntimes.available)
    func forksPastTheProcessLimitAreRefused(runtime: SandboxRuntime) async throws {
        let tool = PythonTool(name: "forks", source: """
            import os, time
            def run(args):
                pids = []
                for _ in range(200):
                    pid = os.fork()
                    if pid == 0:
                        time.sleep(30)
                        os._exit(0)
                    pids.append(pid)
                return len(pids)
            """)
        let run = try await PythonSandbox(runtime: runtime).run(tool, arguments: nil)
        #expect(run.limitHit == .processes, "\(run.outcome)")
        #expect(run.failure?.type == "BlockingIOError")
    }

    @Test(arguments: await SandboxRuntimes.available)
    func endlessLoopIsKilled(runtime: SandboxRuntime) async throws {
        var limits = SandboxLimits()
        limits.wallTime = .milliseconds(1500)
        limits.cpuSeconds = 1
        let tool = PythonTool(name: "loop", source: "def run(args):\n    while True:\n        pass\n")
        let run = try await PythonSandbox(runtime: runtime, limits: limits).run(tool, arguments: nil)
        #expect(run.limitHit == .cpuTime || run.limitHit == .wallTime, "\(run.outcome)")
        #expect(run.duration < .seconds(60), "the loop never ends on its own: only a limit stops it")

        // A loop that sleeps uses no CPU: only the wall-time limit stops it.
        let sleeper = PythonTool(name: "sleeper", source: "import time\ndef run(args):\n    time.sleep(60)\n")
        let slept = try await PythonSandbox(runtime: runtime, limits: limits).run(sleeper, arguments: nil)
        #expect(slept.outcome == .stopped(.wallTime))
        #expect(slept.exitStatus == .signaled(9))
        #expect(slept.duration < .seconds(55), "stopped before its 60 s sleep would have ended")
        #expect(await runscSurvivors().isEmpty)
    }

    @Test(arguments: await SandboxRuntimes.available)
    func allocatingTenGigabytesFails(runtime: SandboxRuntime) async throws {
        let tool = PythonTool(name: "hog", source: "def run(args):\n    return len(bytearray(10 * 1024 ** 3))\n")
        let run = try await PythonSandbox(runtime: runtime).run(tool, arguments: nil)
        #expect(run.limitHit == .memory, "\(run.outcome)")
        #expect(run.failure?.type == "MemoryError")
    }

    @Test(arguments: await SandboxRuntimes.available)
    func noBackgroundProcessSurvives(runtime: SandboxRuntime) async throws {
        let marker = "a4ps-daemon-\(UUID().uuidString)"
        let tool = PythonTool(name: "daemon", source: """
            import os, subprocess
            MARKER = \(String(reflecting: marker))
            def run(args):
                subprocess.Popen(["/usr/bin/python3", "-c", "import time; time.sleep(60)", MARKER],
                                 start_new_session=True, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        os.closerange(0, 256)
                        os.execv("/usr/bin/python3", ["python3", "-c", "import time; time.sleep(60)", MARKER])
                    os._exit(0)
                return "left"
            """)
        let run = try await PythonSandbox(runtime: runtime).run(tool, arguments: nil)
        #expect(run.answer == "left")
        #expect(await survivors(of: marker).isEmpty)
        #expect(await runscSurvivors().isEmpty)
    }

    @Test func missingSandboxGivesAClearError() async throws {
        let tool = PythonTool(name: "ok", source: "def run(args):\n    return 1\n")
        let missing = PythonSandbox(runtime: .bubblewrap(executable: "/nonexistent/bwrap"))
        let error = await #expect(throws: SandboxError.self) {
            try await missing.run(tool, arguments: nil)
        }
        #expect(error?.code == .runtimeNotInstalled)
        #expect(error?.description.contains("bubblewrap is not installed") == true)
        #expect(error?.description.contains("apt-get install bubblewrap") == true)
        #expect(throws: SandboxError.self) { try missing.checkAvailable() }

        let gVisor = PythonSandbox(runtime: .gVisor(executable: "/nonexistent/runsc"))
        let gVisorError = await #expect(throws: SandboxError.self) {
            try await gVisor.test(tool)
        }
        #expect(gVisorError?.description.contains("runsc") == true)
    }

    @Test(arguments: await SandboxRuntimes.available)
    func nothingIsLeftInTheTempDir(runtime: SandboxRuntime) async throws {
        let before = stagingDirectories()
        let run = try await PythonSandbox(runtime: runtime).run(PythonTool(name: "ok", source: "def run(args):\n    return 1\n"), arguments: nil)
        #expect(run.answer == 1)
        // Other suites run tools at the same time: wait for their staging directories to go too.
        let deadline = Date().addingTimeInterval(5)
        var left = stagingDirectories().subtracting(before)
        while !left.isEmpty && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            left = stagingDirectories().subtracting(before)
        }
        #expect(left.isEmpty)
        #expect(await runscSurvivors().isEmpty)
    }

    private func stagingDirectories() -> Set<String> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []
        return Set(entries.filter { $0.hasPrefix("a4ps-sandbox-") && !$0.hasPrefix("a4ps-sandbox-test-") })
    }
}
