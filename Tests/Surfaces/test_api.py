"""The API of a real `a4ps serve`: its OpenAPI document against the routes and the live server,
the login that gives the browser a cookie instead of the token, bad requests refused with the
right status and nothing written, and a real deliberation (the embedded local model) started,
streamed, inspected and forked over HTTP."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest

from conftest import DEADLINE, wait_for

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(os.environ.get("A4PS_SURFACE_VENV", "")) / "bin" / "schemathesis"
# Routes that think with the model (minutes each on a CPU) are tested below, not fuzzed; nor is
# the event stream, which never ends.
THINKING = r"^/(invoke|runs|forge|debug/\{id\}/fix|goals/run-next|goals/review|models/doctor|events)$"


def routes_in_sources():
    found = set()
    for source in (ROOT / "Sources" / "A4PSServer").glob("*.swift"):
        for method, path in re.findall(r'router\.(get|post|put|delete)\("([^"]+)"\)', source.read_text()):
            path = re.sub(r":(\w+)", r"{\1}", path).replace("/**", "/{path}")
            found.add((method, path))
    return found


def test_every_route_is_in_the_openapi_document(serve):
    server = serve()
    status, document = server.request("GET", "/openapi.json")
    assert status == 200 and document["openapi"].startswith("3.1")
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    missing = routes_in_sources() - documented
    assert not missing, f"routes without an OpenAPI description: {sorted(missing)}"
    stale = documented - routes_in_sources()
    assert not stale, f"described routes the server does not have: {sorted(stale)}"


def test_the_live_server_keeps_its_openapi_document(serve, workdir):
    """schemathesis generates requests from the document: no 5xx, every status and body as documented."""
    server = serve()
    run = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{server.url}/openapi.json", "--url", server.url,
         "-H", f"Authorization: Bearer {server.token}", "--checks", "not_a_server_error,status_code_conformance,"
         "content_type_conformance,response_schema_conformance", "--exclude-path-regex", THINKING,
         "--max-examples", os.environ.get("A4PS_SCHEMATHESIS_EXAMPLES", "10"), "--seed", "4", "--no-color",
         "--request-timeout", "60"],
        capture_output=True, text=True, timeout=1800, cwd=workdir)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert server.process.poll() is None, "the server died under schemathesis"


def test_the_browser_signs_in_with_a_one_time_code_and_an_httponly_cookie(serve):
    server = serve()
    # The URL `a4ps serve` printed works once.
    printed = next(l for l in server.output if "/login?code=" in l)
    url = re.search(r"(http://\S+/login\?code=\w+)", printed).group(1)
    opener = urllib.request.build_opener(NoRedirect())
    response = opener.open(url)
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and server.token not in cookie
    session = cookie.split(";")[0]
    status, protos = server.request("GET", "/protos", token=False, headers={"Cookie": session})
    assert status == 200 and {"ALFRED", "BRICK"} <= {p["name"] for p in protos}
    status, _ = server.request("GET", "/login?" + url.split("?")[1], token=False)
    assert status == 401, "a login code worked twice"
    # Another page cannot use the cookie: its Origin is refused.
    status, body = server.request("PUT", "/protos/BRICK/slots/x", body=1, token=False,
                                  headers={"Cookie": session, "Origin": "http://evil.example"})
    assert status == 403 and body["code"] == "badOrigin"
    # A new code comes only with the token.
    assert server.request("POST", "/login/code", token=False)[0] == 401
    status, fresh = server.request("POST", "/login/code")
    assert status == 200 and fresh["url"].startswith(server.url + "/login?code=")
    # Signing out ends the session.
    assert server.request("POST", "/logout", token=False, headers={"Cookie": session})[0] == 200
    assert server.request("GET", "/protos", token=False, headers={"Cookie": session})[0] == 401
    # The UI's files need nothing.
    assert server.request("GET", "/", token=False)[0] == 200


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_303(self, req, fp, code, msg, headers):
        return fp


def test_bad_requests_are_refused_clearly_and_write_nothing(serve):
    server = serve(extra_args=["--max-body", "4096"])
    before_history = server.request("GET", "/history?limit=1000")[1]
    before_memory = server.request("GET", "/memory/stats")[1]["memories"]
    cases = [
        ("POST", "/runs", b"{not json", 400, "invalidJSON"),
        ("POST", "/runs", b'{"task": 42}', 400, "wrongType"),
        ("POST", "/runs", b'{"task": "  "}', 400, "emptyField"),
        ("POST", "/runs", b'[1, 2]', 400, "invalidBody"),
        ("POST", "/invoke", b'{}', 400, "missingField"),
        ("POST", "/memory", b'{"text": ""}', 400, "emptyField"),
        ("POST", "/memory", b'{"text": "x", "persona": 3}', 400, "wrongType"),
        ("GET", "/memory/search?q=x&mode=psychic", None, 400, "invalidMode"),
        ("GET", "/runs?limit=0", None, 400, "invalidLimit"),
        ("GET", "/runs/nope", None, 404, "noSuchRun"),
        ("POST", "/runs/nope/fork", b'{"step": 0}', 404, "noSuchRun"),
        ("POST", "/runs/nope/cancel", None, 404, "noSuchRun"),
        ("GET", "/protos/NOBODY", None, 404, "noSuchProto"),
        ("POST", "/protos/NOBODY/send/describe", None, 404, "noSuchProto"),
        ("PUT", "/protos/BRICK/methods/broken", b"return (", 400, "compileFailed"),
        ("PUT", "/protos/BRICK/slots/x", b"{bad", 400, "invalidJSON"),
        ("POST", "/protos/BRICK/methods/m/try", b'{"args": 1}', 400, "missingField"),
        ("POST", "/forge", b'{"proto": "NOBODY", "selector": "x", "description": "y"}', 404, "noSuchProto"),
        ("GET", "/debug/12345", None, 404, "noSuchMethod"),
        ("POST", "/memory/documents?name=big.txt", b"x" * 5000, 413, "bodyTooLarge"),
        ("POST", "/memory", b'{"text": "' + b"y" * 5000 + b'"}', 413, "bodyTooLarge"),
    ]
    for method, path, raw, status, code in cases:
        got, body = server.request(method, path, raw=raw if raw is not None else b"" if method != "GET" else None)
        assert (got, body.get("code") if isinstance(body, dict) else body) == (status, code), f"{method} {path}: {got} {body}"
        assert isinstance(body, dict) and len(body["error"]) > 10, f"{method} {path}: no message saying what is wrong"
    assert server.request("POST", "/runs", body={"task": "x"}, token=False)[0] == 401
    assert server.request("POST", "/runs", body={"task": "x"}, headers={"Origin": "http://evil.example"})[0] == 403
    assert server.request("GET", "/history?limit=1000")[1] == before_history, "a refused request changed the image"
    assert server.request("GET", "/memory/stats")[1]["memories"] == before_memory
    assert server.request("GET", "/runs")[1]["runs"] == []


def test_methods_install_by_version_and_try_on_a_clone(serve):
    server = serve()
    status, body = server.request("PUT", "/protos/BRICK/methods/double", raw=b"return args * 2", headers={"If-Match": "0"})
    assert status == 200, body
    version = body["version"]
    # Try a candidate on a clone: the answer comes back, the installed method is unchanged.
    status, tried = server.request("POST", "/protos/BRICK/methods/double/try", body={"source": "return args * 3", "args": 5})
    assert (status, tried["answer"]) == (200, 15)
    assert server.request("POST", "/protos/BRICK/send/double", body=5)[1]["answer"] == 10
    # An edit made over an older version is refused with what changed meanwhile.
    assert server.request("PUT", "/protos/BRICK/methods/double", raw=b"return args * 4", headers={"If-Match": str(version)})[0] == 200
    status, conflict = server.request("PUT", "/protos/BRICK/methods/double", raw=b"return args * 5", headers={"If-Match": str(version)})
    assert status == 409 and conflict["current"]["source"] == "return args * 4"
    assert server.request("POST", "/protos/BRICK/send/double", body=5)[1]["answer"] == 20
    # A broken candidate's error comes back from the clone, and nothing changes.
    status, failed = server.request("POST", "/protos/BRICK/methods/double/try", body={"source": "return nil + 1", "args": 5})
    assert status == 422 and failed["error"]
    # The export is an image file.
    request = urllib.request.Request(server.url + "/export", headers={"Authorization": f"Bearer {server.token}"})
    with urllib.request.urlopen(request, timeout=DEADLINE) as response:
        assert response.read(16) == b"SQLite format 3\x00"


def test_memory_remembers_ingests_and_finds(serve):
    server = serve()
    status, added = server.request("POST", "/memory", body={"text": "The volunteers meet every Tuesday at the library.", "persona": "BABS"})
    assert status == 201 and added["memory"]["id"] > 0
    document = "The Community Resource Atlas lists food banks.\n\nThe quartermaster keeps the lantern inventory in the north shed.\n"
    status, ingested = server.request("POST", "/memory/documents?name=atlas.txt", raw=document.encode(), headers={"Content-Type": "text/plain"})
    assert status == 201 and ingested["passages"] >= 1 and ingested["added"] == ingested["passages"]
    status, again = server.request("POST", "/memory/documents?name=atlas.txt", raw=document.encode())
    assert status == 201 and again["added"] == 0 and again["already_stored"] == ingested["passages"]
    for mode in ("text", "hybrid"):
        status, found = server.request("GET", f"/memory/search?q=lantern+inventory&mode={mode}&limit=3")
        assert status == 200 and any("lantern" in hit["text"] for hit in found["hits"]), (mode, found)
    stats = server.request("GET", "/memory/stats")[1]
    assert stats["memories"] >= 2 and stats["documents"] >= 1
    # Forgetting: the memory is gone from every kind of search, and from the counts.
    lantern = next(hit["id"] for hit in found["hits"] if "lantern" in hit["text"])
    assert server.request("DELETE", f"/memory/{lantern}") == (200, {"forgotten": lantern})
    for mode in ("text", "vector", "hybrid"):
        hits = server.request("GET", f"/memory/search?q=lantern+inventory&mode={mode}&limit=10")[1]["hits"]
        assert all(hit["id"] != lantern for hit in hits), (mode, hits)
    assert server.request("GET", "/memory/stats")[1]["memories"] == stats["memories"] - 1
    assert server.request("DELETE", f"/memory/{lantern}")[0] == 404


class EventReader:
    """Reads GET /events in a thread; `events` grows as they arrive."""

    def __init__(self, server):
        self.events: list[dict] = []
        request = urllib.request.Request(server.url + "/events", headers={"Authorization": f"Bearer {server.token}"})
        self.response = urllib.request.urlopen(request, timeout=DEADLINE * 10)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for raw in self.response:
                line = raw.decode("utf-8", "replace").strip()
                if line.startswith("data: "):
                    self.events.append(json.loads(line[6:]))
        except Exception:
            pass

    def close(self):
        self.response.close()


def test_a_deliberation_over_http_with_the_real_model(serve):
    """POST /runs starts the four personas on the embedded model; the event stream carries each
    persona's tokens; the run ends with ALFRED's answer; checkpoints can be forked with an edited
    state. Structure only, never the model's wording."""
    server = serve()
    events = EventReader(server)
    try:
        status, started = server.request("POST", "/runs", body={"task": "Name one way to welcome a new volunteer.", "max_turns": 1})
        assert status == 202, started
        run = started["run"]["id"]
        stopped = wait_for(lambda: next((e for e in events.events if e.get("event") == "runStopped" and e.get("run") == run), None),
                           "the run to stop", deadline=1500)
        assert stopped["status"] == "done", stopped
        speakers = {e["persona"].upper() for e in events.events if e.get("event") == "modelToken" and e.get("run") == run}
        assert {"BRICK", "ROBIN", "ALFRED"} <= speakers, speakers
        status, shown = server.request("GET", f"/runs/{run}")
        assert status == 200 and shown["status"] == "done" and isinstance(shown["answer"], str) and shown["answer"].strip()
        status, history = server.request("GET", f"/runs/{run}/history")
        steps = history["checkpoints"]
        assert status == 200 and steps[0]["step"] == 0 and steps[-1]["next"] == "END" and len(steps) >= 3
        # What each persona was sent, call by call.
        status, prompts = server.request("GET", f"/runs/{run}/prompts")
        assert status == 200 and {"BRICK", "ROBIN", "ALFRED"} <= {p["persona"] for p in prompts["prompts"]}, prompts
        assert all(any(m["role"] == "user" and m["content"] for m in p["messages"]) for p in prompts["prompts"])
        # Fork from the start with an edited task; the original stays as it was.
        state = dict(steps[0]["state"], task="Name one way to thank a volunteer.")
        status, forked = server.request("POST", f"/runs/{run}/fork", body={"step": 0, "state": state})
        assert status == 202 and forked["run"]["forked_from"] == f"{run}@0"
        fork = forked["run"]["id"]
        # Cancelling it stops it at its next checkpoint, resumable.
        status, _ = server.request("POST", f"/runs/{fork}/cancel")
        assert status in (200, 409)
        wait_for(lambda: server.request("GET", f"/runs/{fork}")[1]["driven_here"] is False, "the fork to stop")
        assert server.request("GET", f"/runs/{run}")[1]["answer"] == shown["answer"]
        assert len(server.request("GET", "/runs")[1]["runs"]) == 2
    finally:
        events.close()


def test_invoke_answers_with_alfreds_response(serve):
    server = serve()
    status, body = server.request("POST", "/invoke", body={"task": "Say hello to the volunteers.", "max_turns": 1}, timeout=1500)
    assert status == 200, body
    assert body["status"] == "done" and isinstance(body["response"], str) and body["response"].strip()
    assert server.request("GET", f"/runs/{body['run']}")[1]["status"] == "done"


def test_sigterm_stops_a_run_at_a_checkpoint_and_the_next_start_resumes_it(serve):
    server = serve()
    events = EventReader(server)
    try:
        status, started = server.request("POST", "/runs", body={"task": "Suggest a name for a volunteer newsletter.", "max_turns": 1})
        assert status == 202
        run = started["run"]["id"]
        wait_for(lambda: any(e.get("event") == "runStepped" and e.get("run") == run for e in events.events), "the run's first step",
                 deadline=900)
    finally:
        events.close()
    os.killpg(server.process.pid, signal.SIGTERM)
    assert server.process.wait(timeout=300) == 0, "".join(server.output)
    # The next server on the same image drives the run on from its last checkpoint to the end.
    again = serve()
    wait_for(lambda: again.request("GET", f"/runs/{run}")[1]["status"] in ("done", "failed"), "the resumed run to end", deadline=1500)
    shown = again.request("GET", f"/runs/{run}")[1]
    assert shown["status"] == "done", shown
    steps = again.request("GET", f"/runs/{run}/history")[1]["checkpoints"]
    assert [s["step"] for s in steps] == list(range(len(steps))), "a step was lost or run twice"


def test_cli_commands_go_through_a_server_that_holds_the_image_or_refuse_clearly(serve):
    server = serve()
    image = ["--image", str(server.image), "--config", str(server.config)]

    def a4ps(*args):
        return subprocess.run([os.environ["A4PS_BIN"], *args, *image], capture_output=True, text=True, timeout=DEADLINE * 5)

    sent = a4ps("send", "BRICK", "describe")
    assert sent.returncode == 0 and '"name"' in sent.stdout, sent.stderr
    refused = a4ps("method", "define", "BRICK", "shout", "--source", "return 'HEY'")
    assert refused.returncode != 0
    assert "a4ps serve" in refused.stderr and server.url in refused.stderr and "stop the server" in refused.stderr, refused.stderr
    assert server.request("GET", "/protos/BRICK/methods/shout")[0] == 404, "a refused command changed the image"
    listed = a4ps("runs", "list")
    assert listed.returncode == 0, listed.stderr
    # Once the server is gone, the same command opens the image itself.
    server.stop()
    assert a4ps("method", "define", "BRICK", "shout", "--source", "return 'HEY'").returncode == 0


def test_personas_bring_an_inspector_view_of_their_own(serve):
    server = serve()
    status, view = server.request("POST", "/protos/ROBIN/send/view_codex")
    assert status == 200, view
    view = view["answer"]
    assert view["kind"] == "table" and view["columns"] == ["field", "value"]
    fields = {row[0] for row in view["rows"]}
    assert {"name", "role"} <= fields and any(field.startswith("principles ") for field in fields), fields


def test_a_proto_is_cloned_under_a_new_name_and_nothing_is_written_for_a_bad_one(serve):
    server = serve()
    assert server.request("PUT", "/protos/BRICK/methods/double", raw=b"return args * 2")[0] == 200
    status, body = server.request("POST", "/protos/BRICK/clone", body={"name": "BRICK_TRIAL"})
    assert status == 201, body
    assert body["proto"]["name"] == "BRICK_TRIAL"
    # The copy answers with the original's methods, and changing it leaves the original alone.
    assert server.request("POST", "/protos/BRICK_TRIAL/send/double", body=4)[1]["answer"] == 8
    assert server.request("PUT", "/protos/BRICK_TRIAL/methods/double", raw=b"return args * 3")[0] == 200
    assert server.request("POST", "/protos/BRICK/send/double", body=4)[1]["answer"] == 8
    assert server.request("GET", "/history?proto=BRICK_TRIAL")[1][0]["reason"] == "clone of BRICK"
    protos_before = [p["name"] for p in server.request("GET", "/protos")[1]]
    for path, payload, expected in [
        ("/protos/BRICK/clone", {"name": "BRICK_TRIAL"}, 409),   # the name is taken
        ("/protos/NOBODY/clone", {"name": "X1"}, 404),           # no such original
        ("/protos/BRICK/clone", {"name": "not a name!"}, 400),   # not a proto name
        ("/protos/BRICK/clone", {}, 400),                        # no name
    ]:
        status, body = server.request("POST", path, body=payload)
        assert status == expected and body["error"], (path, payload, status, body)
    assert [p["name"] for p in server.request("GET", "/protos")[1]] == protos_before


def test_the_golden_dataset_and_the_oracles_scores_are_served_and_examples_removed(serve):
    import sqlite3
    import time as clock
    server = serve()
    status, empty = server.request("GET", "/protos/BRICK/golden")
    assert status == 200 and empty == {"persona": "BRICK", "counts": {"train": 0, "holdout": 0}, "examples": []}
    assert server.request("GET", "/oracle/scores")[1] == {"scores": []}
    # What the Oracle would have written after a golden run (as another a4ps process would: the server reads the file).
    messages = [{"role": "system", "content": "You are BRICK."}, {"role": "user", "content": "Name a prime."},
                {"role": "assistant", "content": "Seven."}]
    now = clock.time()
    with sqlite3.connect(server.image) as db:
        db.execute("INSERT INTO deliberation_runs(id, graph, status, step, next, created_at, updated_at) VALUES ('r1', 'ALFRED.deliberation', 'done', 1, 'END', ?, ?)", (now, now))
        db.execute("INSERT INTO deliberation_checkpoints(run, step, node, next, state, at) VALUES ('r1', 1, 'synthesize', 'END', ?, ?)",
                   (json.dumps({"task": "Name a prime.", "answer": "Seven."}), now))
        db.execute("INSERT INTO deliberation_scores(run, overall, scores, model, at) VALUES ('r1', 4.75, ?, 'smollm2', ?)",
                   (json.dumps({"helpfulness": {"score": 5, "reason": "direct"}}), now))
        db.execute("INSERT INTO golden_examples(persona, digest, messages, split, run, overall, at) VALUES ('BRICK', 'd1', ?, 'train', 'r1', 4.75, ?)",
                   (json.dumps(messages), now))
    status, golden = server.request("GET", "/protos/BRICK/golden")
    assert status == 200 and golden["counts"] == {"train": 1, "holdout": 0}
    [example] = golden["examples"]
    assert (example["run"], example["split"], example["asked"], example["overall"]) == ("r1", "train", "Name a prime.", 4.75)
    [score] = server.request("GET", "/oracle/scores?limit=5")[1]["scores"]
    assert (score["run"], score["overall"], score["task"]) == ("r1", 4.75, "Name a prime.")
    assert score["scores"]["helpfulness"]["score"] == 5
    # Bad ids and unknown personas are refused; a removed example is gone.
    assert server.request("GET", "/protos/NOBODY/golden")[0] == 404
    assert server.request("DELETE", "/golden/abc")[0] == 400
    assert server.request("DELETE", "/golden/999")[0] == 404
    assert server.request("GET", "/oracle/scores?limit=0")[0] == 400
    assert server.request("DELETE", f"/golden/{example['id']}")[1] == {"removed": example["id"]}
    assert server.request("GET", "/protos/BRICK/golden")[1]["examples"] == []
