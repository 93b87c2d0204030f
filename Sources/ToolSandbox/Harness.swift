/// The Python program that runs inside the sandbox: it loads the tool, calls `run(args)` or the
/// `test_*` functions, and writes one JSON envelope after a marker line on stdout.
///
/// The verdict is the host's only evidence that a tool's tests passed, so no code of the tool can
/// write it: the harness runs the tool in a process of its own (a fresh python3, exec'd, answering
/// calls over two pipes) and runs the tests, which call the tool through proxies, in the
/// supervising process. Only the supervisor knows the per-run nonce the host sends on stdin, and it
/// marks the envelope with it; it is undumpable, so the tool's process cannot read its memory or
/// descriptors, and before it writes the envelope every other process in the sandbox is killed.
/// A tool that prints a forged envelope, writes to the descriptors it inherited or calls
/// `os._exit(0)` produces tool output, a failure, or a crash — never a verdict.
enum Harness {
    /// Separates the tool's own prints from the envelope; followed by the run's nonce.
    static let marker = "\u{1E}A4PS-SANDBOX-RESULT\u{1E}"

    static func source(directory: String) -> String {
        #"""
        import errno, json, os, signal, struct, sys, traceback, types

        DIR = \#(pythonLiteral(directory))
        MARKER = \#(pythonLiteral(marker))

        # Two processes, so that no code of the tool ever runs where the verdict is written:
        # - the supervisor (this process, no argument): reads the request (with the host's nonce),
        #   runs the tests, talks to the tool process, and writes the one envelope the host believes;
        # - the tool process (argument --tool R W): a fresh python3 (exec, so none of the supervisor's
        #   memory), which loads the tool and answers calls over two pipes. It never sees the nonce:
        #   stdin is closed in it, and the supervisor is made undumpable (no /proc/PID/mem, no ptrace).


        def limit_of(exc):
            if isinstance(exc, MemoryError):
                return "memory"
            if isinstance(exc, OSError) and exc.errno == errno.EAGAIN:
                return "processes"
            if isinstance(exc, RuntimeError) and "can't start new thread" in str(exc):
                return "processes"
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                return "disk"
            return None


        def failure(exc, filename=None):
            remote = getattr(exc, "_a4ps_tool_failure", None)
            local = "".join(traceback.format_exception(exc))
            if remote is not None:
                result = dict(remote)
                result["traceback"] = local + "\nIn the tool:\n" + remote.get("traceback", "")
                return result
            message = str(exc)
            if isinstance(exc, AssertionError) and not message:
                frames = [f for f in traceback.extract_tb(exc.__traceback__) if filename is None or f.filename == filename]
                line = frames[-1].line if frames else ""
                message = "assertion failed: " + (line or "assert")
            return {"type": type(exc).__name__, "message": message, "traceback": local, "limit": limit_of(exc)}


        # Values cross the pipe as JSON, with tags for what JSON lacks (tuples, sets, bytes, non-string keys).
        TAG = "__a4ps__"


        def encode(value, depth=0):
            if depth > 200:
                raise RecursionError("the value is nested too deeply to pass between the tool and its tests")
            if value is None or isinstance(value, (bool, int, float, str)):
                return value
            if isinstance(value, list):
                return [encode(v, depth + 1) for v in value]
            if isinstance(value, dict):
                if all(isinstance(k, str) and k != TAG for k in value):
                    return {k: encode(v, depth + 1) for k, v in value.items()}
                return {TAG: "dict", "items": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
            for kind, cls in (("tuple", tuple), ("set", set), ("frozenset", frozenset)):
                if isinstance(value, cls):
                    return {TAG: kind, "items": [encode(v, depth + 1) for v in value]}
            if isinstance(value, (bytes, bytearray)):
                return {TAG: "bytes", "hex": bytes(value).hex()}
            raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


        def decode(value):
            if isinstance(value, list):
                return [decode(v) for v in value]
            if isinstance(value, dict):
                kind = value.get(TAG)
                if kind is None:
                    return {k: decode(v) for k, v in value.items()}
                if kind == "dict":
                    return {decode(k) if not isinstance(k, list) else tuple(decode(k)): decode(v) for k, v in value["items"]}
                if kind == "tuple":
                    return tuple(decode(v) for v in value["items"])
                if kind == "set":
                    return set(decode(v) for v in value["items"])
                if kind == "frozenset":
                    return frozenset(decode(v) for v in value["items"])
                if kind == "bytes":
                    return bytes.fromhex(value["hex"])
                raise ValueError("unknown tag " + str(kind))
            return value


        def send(fd, message):
            data = json.dumps(message).encode("utf-8")
            data = struct.pack(">Q", len(data)) + data
            while data:
                data = data[os.write(fd, data):]


        def receive(fd):
            def exactly(n):
                chunks = []
                while n:
                    chunk = os.read(fd, min(n, 1 << 20))
                    if not chunk:
                        return None
                    chunks.append(chunk)
                    n -= len(chunk)
                return b"".join(chunks)
            header = exactly(8)
            if header is None:
                return None
            body = exactly(struct.unpack(">Q", header)[0])
            return None if body is None else json.loads(body.decode("utf-8"))


        def load(path, name, namespace):
            with open(path, encoding="utf-8") as f:
                code = compile(f.read(), path, "exec")
            module = types.ModuleType(name)
            module.__dict__.update(namespace)
            module.__dict__["__name__"] = name
            module.__file__ = path
            sys.modules[name] = module
            exec(code, module.__dict__)
            return module


        # ---- the tool process ----

        def flush():
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:
                    pass


        def serve(requests, answers):
            try:
                tool = load(os.path.join(DIR, "tool.py"), "tool", {})
            except BaseException as exc:
                send(answers, {"ok": False, "error": failure(exc)})
                os._exit(0)
            names = {}
            for name, value in list(tool.__dict__.items()):
                if name.startswith("__") or isinstance(value, types.ModuleType):
                    continue
                if callable(value):
                    names[name] = {"callable": True}
                else:
                    try:
                        names[name] = {"value": encode(value)}
                    except BaseException:
                        pass
            flush()
            send(answers, {"ok": True, "names": names})
            while True:
                request = receive(requests)
                if request is None:
                    os._exit(0)
                try:
                    function = getattr(tool, request["name"])
                    answer = function(*decode(request["args"]), **decode(request["kwargs"]))
                    reply = {"ok": True, "answer": encode(answer)}
                except BaseException as exc:
                    reply = {"ok": False, "error": failure(exc)}
                flush()
                send(answers, reply)


        # ---- the supervisor ----

        class ToolFailure(Exception):
            pass


        def rebuild(error):
            """The tool's exception, raised again in the supervisor: the same built-in type when there is one."""
            import builtins
            cls = getattr(builtins, error.get("type", ""), None)
            try:
                exc = cls(error.get("message", "")) if isinstance(cls, type) and issubclass(cls, Exception) else None
            except BaseException:
                exc = None
            if exc is None:
                exc = ToolFailure("%s: %s" % (error.get("type"), error.get("message")))
            exc._a4ps_tool_failure = error
            return exc


        class ToolProcess:
            def __init__(self):
                self.pid = None

            def start(self):
                to_tool_r, to_tool_w = os.pipe()
                from_tool_r, from_tool_w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    try:
                        null = os.open("/dev/null", os.O_RDONLY)
                        os.dup2(null, 0)
                        os.set_inheritable(to_tool_r, True)
                        os.set_inheritable(from_tool_w, True)
                        os.execv(sys.executable, [sys.executable, "-I", "-B", os.path.join(DIR, "harness.py"),
                                                  "--tool", str(to_tool_r), str(from_tool_w)])
                    finally:
                        os._exit(127)
                os.close(to_tool_r)
                os.close(from_tool_w)
                self.pid, self.requests, self.answers = pid, to_tool_w, from_tool_r
                hello = receive(self.answers)
                if hello is None:
                    return {"ok": False, "error": self.ended()}
                return hello

            def ended(self):
                """What became of a tool process that stopped answering."""
                os.close(self.requests)
                os.close(self.answers)
                _, status = os.waitpid(self.pid, 0)
                self.pid = None
                if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
                    return {"type": "ToolStopped", "message": "the tool used up its CPU time", "traceback": "", "limit": "cpu"}
                how = ("was killed by signal %d" % os.WTERMSIG(status)) if os.WIFSIGNALED(status) else ("exited with status %d" % os.WEXITSTATUS(status))
                return {"type": "ToolCrashed", "message": "the tool's process " + how + " without answering", "traceback": "",
                        "limit": None, "crashed": True}

            def stop(self):
                if self.pid is not None:
                    try:
                        os.kill(self.pid, signal.SIGKILL)
                        os.waitpid(self.pid, 0)
                    except OSError:
                        pass
                    self.pid = None

            def call(self, name, args, kwargs):
                if self.pid is None:
                    hello = self.start()
                    if not hello.get("ok"):
                        raise rebuild(hello["error"])
                try:
                    send(self.requests, {"name": name, "args": encode(list(args)), "kwargs": encode(dict(kwargs))})
                except OSError:
                    pass
                reply = receive(self.answers)
                if reply is None:
                    raise rebuild(self.ended())
                if not reply.get("ok"):
                    raise rebuild(reply["error"])
                return decode(reply["answer"])


        def proxy(process, name):
            def call(*args, **kwargs):
                return process.call(name, args, kwargs)
            call.__name__ = name
            return call


        def undumpable():
            """Keeps the tool process out of this one's memory: no /proc/PID/mem, no ptrace, no /proc/PID/fd."""
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(4, 0, 0, 0, 0) != 0 or libc.prctl(3, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE, PR_GET_DUMPABLE
                raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


        def supervise(request, process):
            hello = process.start()
            if not hello.get("ok"):
                return {"status": "load_failed", "error": hello["error"]}
            names = hello["names"]
            namespace = {}
            for name, entry in names.items():
                namespace[name] = proxy(process, name) if entry.get("callable") else decode(entry["value"])
            if request.get("mode") == "test":
                tool = types.ModuleType("tool")
                tool.__dict__.update(namespace)
                sys.modules["tool"] = tool
                tests_path = os.path.join(DIR, "tests.py")
                try:
                    tests = load(tests_path, "tool_tests", namespace)
                except BaseException as exc:
                    return {"status": "load_failed", "error": failure(exc)}
                results = []
                for name, function in list(tests.__dict__.items()):
                    if not name.startswith("test_") or not callable(function):
                        continue
                    print("a4ps-sandbox: running " + name, file=sys.stderr, flush=True)
                    try:
                        function()
                        results.append({"name": name, "passed": True})
                    except BaseException as exc:
                        entry = failure(exc, tests_path if isinstance(exc, AssertionError) else None)
                        entry.update({"name": name, "passed": False})
                        results.append(entry)
                return {"status": "tested", "tests": results}
            if not names.get("run", {}).get("callable"):
                return {"status": "load_failed", "error": {"type": "ToolContractError",
                        "message": "the tool defines no run(args) function", "traceback": "", "limit": None}}
            try:
                answer = process.call("run", [request.get("args")], {})
                json.dumps(answer)
            except BaseException as exc:
                error = failure(exc)
                if error.get("limit") == "cpu":
                    return {"status": "stopped", "limit": "cpu"}
                if error.get("crashed"):
                    return {"status": "crashed", "detail": error.get("message")}
                return {"status": "raised", "error": error}
            return {"status": "answered", "answer": answer}


        def main():
            if len(sys.argv) == 4 and sys.argv[1] == "--tool":
                serve(int(sys.argv[2]), int(sys.argv[3]))
                return
            undumpable()
            request = json.loads(sys.stdin.read() or "{}")
            # Nothing the tool process could reach keeps the request (and its nonce) after this.
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
            nonce = str(request.get("nonce", ""))
            process = ToolProcess()
            try:
                envelope = supervise(request, process)
            except BaseException as exc:
                envelope = {"status": "raised", "error": failure(exc)}
            # Every other process in the sandbox ends before the envelope is written: none can write into it.
            # Only inside the sandbox's own PID namespace (where this process is its first or second), never
            # on a host, where kill(-1) would reach every process of the user.
            process.stop()
            if os.getpid() <= 2:
                try:
                    os.kill(-1, signal.SIGKILL)
                except OSError:
                    pass
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:
                pass
            try:
                text = json.dumps(envelope)
            except BaseException as exc:
                text = json.dumps({"status": "raised", "error": failure(exc)})
            data = ("\n" + MARKER + nonce + "\n" + text + "\n").encode("utf-8")
            while data:
                data = data[os.write(1, data):]
            os._exit(0)


        main()

        """#
    }

    /// A Python string literal for `text` (JSON's escapes are valid Python).
    static func pythonLiteral(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value > 0x7E:
                out += scalar.value <= 0xFFFF
                    ? "\\u" + hex(scalar.value, width: 4)
                    : "\\U" + hex(scalar.value, width: 8)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
