"""Shared fixtures of the surface tests: a real `a4ps serve` on a temporary image.

Every test gets its own image in a temporary directory and its own server on a free loopback
port; the server is stopped (SIGTERM, then SIGKILL) and the directory removed afterwards, so a
test leaves no process and no file behind. Waits are on conditions with generous deadlines.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

A4PS_BIN = os.environ.get("A4PS_BIN", "")
DEADLINE = float(os.environ.get("A4PS_TEST_DEADLINE", "120"))


def wait_for(condition, what: str, deadline: float = DEADLINE, interval: float = 0.05):
    """Polls `condition` until it returns something truthy; fails naming `what` after `deadline` s."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline:.0f} s waiting for {what}")
        time.sleep(interval)


class Served:
    """One `a4ps serve` process on a temporary image. `url`, `token`, `request()`."""

    def __init__(self, directory: Path, config: str | None = None, extra_args: list[str] | None = None,
                 env: dict[str, str] | None = None):
        if not A4PS_BIN or not os.access(A4PS_BIN, os.X_OK):
            raise RuntimeError("A4PS_BIN must name the built a4ps executable (Tests/Surfaces/run sets it)")
        self.directory = directory
        self.image = directory / "test.image"
        self.config = directory / "config.toml"
        self.config.write_text(config or "")
        self.output: list[str] = []
        self._lines = threading.Condition()
        environment = dict(os.environ)
        environment.update(env or {})
        self.process = subprocess.Popen(
            [A4PS_BIN, "serve", "--image", str(self.image), "--config", str(self.config), "--port", "0", *(extra_args or [])],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()
        line = wait_for(lambda: next((l for l in self.output if "a4ps serving" in l), None)
                        or (self.process.poll() is not None and RuntimeError("a4ps serve exited:\n" + "".join(self.output))),
                        "a4ps serve to listen")
        if isinstance(line, Exception):
            raise line
        self.url = re.search(r"(http://[^\s]+)", line).group(1).rstrip("/")
        self.token = Path(str(self.image) + ".token").read_text().strip()

    def _read(self):
        for line in self.process.stdout:
            with self._lines:
                self.output.append(line)
                self._lines.notify_all()

    def request(self, method: str, path: str, body=None, token: bool = True, headers: dict | None = None,
                raw: bytes | None = None, timeout: float = DEADLINE):
        """(status, parsed JSON or text) of one request; JSON-encodes `body` unless `raw` is given."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if body is not None and raw is None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        text = payload.decode("utf-8", "replace")
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def workdir():
    directory = Path(tempfile.mkdtemp(prefix="a4ps-surface-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def serve(workdir):
    """A factory: `serve(config="...")` starts a server on a fresh image; all are stopped afterwards."""
    started: list[Served] = []

    def start(config: str | None = None, extra_args: list[str] | None = None, env: dict[str, str] | None = None) -> Served:
        served = Served(workdir, config=config, extra_args=extra_args, env=env)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()
