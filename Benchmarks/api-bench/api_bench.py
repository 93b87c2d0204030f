#!/usr/bin/env python3
"""api-bench: the Architect's surfaces under load, with the scripted model server.

1. Requests/s and latency percentiles of `describe` (GET /protos/BRICK, the self-description) and
   `send` (POST /protos/BRICK/send/describe, a Lua method run in the image) under 64 concurrent
   clients, measured by wrk on loopback. Baseline: GET /health on the same server (its floor:
   routing and the door's checks, nothing of the image).
2. The delay from a token leaving the model server to its arrival in the browser's event stream
   (a real headless Chromium, EventSource on /events through the UI's session cookie), p50/p99:
   the scripted server stamps each token with the moment it sends it. Baseline: the same tokens
   read straight from the model server's own stream (what any client of the model pays).

Usage: api_bench.py --a4ps BIN --scripted BIN [--clients 64] [--seconds 10] [--tokens 200] [--sends 5]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

STAMP = re.compile(r"⟨sent (\d+)⟩")
MARK = "BENCH-STREAM"


def now_us() -> int:
    return time.time_ns() // 1000


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))]


class Process:
    def __init__(self, args, env, pattern, what):
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
        self.lines = []
        found = threading.Event()
        self.match = None

        def read():
            for line in self.process.stdout:
                self.lines.append(line)
                if self.match is None and (m := re.search(pattern, line)):
                    self.match = m
                    found.set()
        threading.Thread(target=read, daemon=True).start()
        if not found.wait(120):
            self.stop()
            raise SystemExit(f"{what} did not start:\n" + "".join(self.lines))

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def request(url, token, method="GET", body=None, timeout=300):
    data = None if body is None else json.dumps(body).encode()
    r = urllib.request.Request(url, data=data, method=method, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(r, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def wrk(url, token, clients, seconds, post_body=None, directory=None):
    args = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {token}"]
    if post_body is not None:
        script = Path(directory) / "post.lua"
        script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(post_body)}\nwrk.headers["Content-Type"] = "application/json"\n')
        args += ["-s", str(script)]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out) for p in ("50", "99")}
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": float(lat["50"].group(1)) * scale[lat["50"].group(2)],
            "p99_ms": float(lat["99"].group(1)) * scale[lat["99"].group(2)], "non_2xx": int(errors.group(1)) if errors else 0}


def direct_token_lags(scripted_url, tokens):
    """The baseline: the scripted server's own stream, read by a plain client."""
    body = {"model": "phi3:mini-4k-instruct", "stream": True, "messages": [{"role": "user", "content": MARK}]}
    r = urllib.request.Request(scripted_url + "/api/chat", data=json.dumps(body).encode(), method="POST",
                               headers={"Content-Type": "application/json"})
    lags = []
    with urllib.request.urlopen(r, timeout=300) as response:
        for line in response:
            arrived = now_us()
            for stamp in STAMP.findall(line.decode("utf-8", "replace")):
                lags.append((arrived - int(stamp)) / 1000)
    return lags


def browser_token_lags(server_url, token, sends):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    try:
        login = request(server_url + "/login/code", token, "POST")["url"]
        driver.get(login)
        driver.execute_script("""
            window.lags = []; window.opened = false;
            const source = new EventSource('/events');
            source.onopen = () => { window.opened = true; };
            source.onmessage = (message) => {
                const arrived = (performance.timeOrigin + performance.now()) * 1000;
                const event = JSON.parse(message.data);
                if (event.event !== 'modelToken') return;
                for (const match of event.text.matchAll(/⟨sent (\\d+)⟩/g)) window.lags.push((arrived - Number(match[1])) / 1000);
            };""")
        end = time.time() + 60
        while not driver.execute_script("return window.opened") and time.time() < end:
            time.sleep(0.05)
        for _ in range(sends):
            request(server_url + "/protos/BRICK/send/bench_think", token, "POST", {"prompt": MARK})
        expected = None
        end = time.time() + 60
        while time.time() < end:
            count = driver.execute_script("return window.lags.length")
            if count == expected:
                break
            expected = count
            time.sleep(0.5)
        return driver.execute_script("return window.lags")
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a4ps", required=True)
    parser.add_argument("--scripted", required=True)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--sends", type=int, default=5)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="a4ps-api-bench-"))
    processes = []
    try:
        script = {"rules": [{"contains": MARK, "reply": " ".join(["t"] * args.tokens), "token_delay_ms": 5, "stamp_tokens": True}]}
        (directory / "script.json").write_text(json.dumps(script))
        scripted = Process([args.scripted, "--script", str(directory / "script.json"), "--port", "0"], dict(os.environ),
                           r"listening on (http://\S+)", "the scripted model server")
        processes.append(scripted)
        scripted_url = scripted.match.group(1).rstrip("/")
        (directory / "config.toml").write_text('[inference]\ndefault_backend = "ollama"\n')
        env = dict(os.environ, OLLAMA_HOST=scripted_url.removeprefix("http://"))
        served = Process([args.a4ps, "serve", "--image", str(directory / "bench.image"), "--config", str(directory / "config.toml"),
                          "--port", "0", "--max-sends", str(max(args.clients, 8))], env, r"a4ps serving \S+ on (http://\S+)", "a4ps serve")
        processes.append(served)
        url = served.match.group(1)
        token = (directory / "bench.image.token").read_text().strip()
        put = urllib.request.Request(url + "/protos/BRICK/methods/bench_think", data=b"return think(args.prompt)", method="PUT",
                                     headers={"Authorization": f"Bearer {token}"})
        urllib.request.urlopen(put, timeout=60).read()

        print(f"== requests under {args.clients} concurrent clients, {args.seconds} s each (wrk, loopback) ==")
        results = {
            "health (baseline)": wrk(url + "/health", token, args.clients, args.seconds),
            "describe: GET /protos/BRICK": wrk(url + "/protos/BRICK", token, args.clients, args.seconds),
            "send: POST /protos/BRICK/send/describe": wrk(url + "/protos/BRICK/send/describe", token, args.clients, args.seconds,
                                                         post_body="null", directory=directory),
        }
        base = results["health (baseline)"]["rps"]
        for name, r in results.items():
            print(f"{name:42s} {r['rps']:10.0f} req/s ({r['rps'] / base:5.2f}× baseline)  p50 {r['p50_ms']:7.2f} ms  "
                  f"p99 {r['p99_ms']:7.2f} ms  non-2xx {r['non_2xx']}")

        print(f"\n== a token from the model server to the browser's event stream ({args.sends} sends × {args.tokens} tokens) ==")
        direct = direct_token_lags(scripted_url, args.tokens)
        browser = browser_token_lags(url, token, args.sends)
        for name, lags in (("direct from the model server (baseline)", direct), ("in the browser (EventSource /events)", browser)):
            if not lags:
                print(f"{name:42s} no tokens arrived")
                continue
            print(f"{name:42s} n={len(lags):5d}  p50 {percentile(lags, 50):7.2f} ms  p99 {percentile(lags, 99):7.2f} ms")
        if direct and browser:
            print(f"browser p50 is {percentile(browser, 50) / max(percentile(direct, 50), 0.001):.1f}× the baseline's; "
                  f"the hop through a4ps adds {percentile(browser, 50) - percentile(direct, 50):.2f} ms at p50")
    finally:
        for process in reversed(processes):
            process.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
