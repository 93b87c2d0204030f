/// The Python program that runs inside the sandbox: it loads the tool, calls `run(args)` or the
/// `test_*` functions, and writes one JSON envelope after a marker line on stdout.
enum Harness {
    /// Separates the tool's own prints from the envelope; the last occurrence counts.
    static let marker = "\u{1E}A4PS-SANDBOX-RESULT\u{1E}"

    static func source(directory: String) -> String {
        """
        import errno, json, os, sys, traceback, types

        DIR = \(pythonLiteral(directory))
        MARKER = \(pythonLiteral(marker))

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
            message = str(exc)
            if isinstance(exc, AssertionError) and not message:
                frames = [f for f in traceback.extract_tb(exc.__traceback__) if filename is None or f.filename == filename]
                line = frames[-1].line if frames else ""
                message = "assertion failed: " + (line or "assert")
            return {"type": type(exc).__name__, "message": message,
                    "traceback": "".join(traceback.format_exception(exc)), "limit": limit_of(exc)}

        def emit(envelope):
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:
                pass
            try:
                text = json.dumps(envelope)
            except BaseException as exc:
                text = json.dumps({"status": "raised", "error": failure(exc)})
            os.write(1, ("\\n" + MARKER + "\\n" + text + "\\n").encode("utf-8"))

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

        def main():
            request = json.loads(sys.stdin.read() or "{}")
            tool_path = os.path.join(DIR, "tool.py")
            try:
                tool = load(tool_path, "tool", {})
            except BaseException as exc:
                return {"status": "load_failed", "error": failure(exc)}
            if request.get("mode") == "test":
                tests_path = os.path.join(DIR, "tests.py")
                try:
                    tests = load(tests_path, "tool_tests", {k: v for k, v in tool.__dict__.items() if not k.startswith("__")})
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
            run = getattr(tool, "run", None)
            if not callable(run):
                return {"status": "load_failed", "error": {"type": "ToolContractError",
                        "message": "the tool defines no run(args) function", "traceback": "", "limit": None}}
            try:
                answer = run(request.get("args"))
                json.dumps(answer)
            except BaseException as exc:
                return {"status": "raised", "error": failure(exc)}
            return {"status": "answered", "answer": answer}

        try:
            envelope = main()
        except BaseException as exc:
            envelope = {"status": "raised", "error": failure(exc)}
        emit(envelope)
        sys.stdout.flush()
        os._exit(0)

        """
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
