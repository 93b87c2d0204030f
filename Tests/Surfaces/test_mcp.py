"""The MCP surface: a real `a4ps mcp` on a temporary image, driven over stdio by the `mcp` client from PyPI.

Each test starts its own server (empty config.toml: the personas think with the embedded local
model) and checks afterwards that no process of it is left; the directory is removed by the
`workdir` fixture. Waits are on conditions with generous deadlines.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import ClientSession, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import A4PS_BIN, DEADLINE, wait_for

# A real deliberation on the CPU (several model calls) takes minutes on a busy machine.
ASK_DEADLINE = float(os.environ.get("A4PS_ASK_DEADLINE", "1500"))
PERSONAS = {"ALFRED", "BABS", "BRICK", "ROBIN"}


MARK = "A4PS_MCP_TEST_DIR"


def processes_of(directory: Path) -> list[int]:
    """Pids of the processes started for `directory`'s server: it and its children (the embedded
    model server) inherit the environment variable MARK naming the directory."""
    marker = f"{MARK}={directory}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


@pytest.fixture
def image_dir(workdir):
    """The test's directory, with an empty config.toml; afterwards no process that names it may remain."""
    if not A4PS_BIN or not os.access(A4PS_BIN, os.X_OK):
        raise RuntimeError("A4PS_BIN must name the built a4ps executable (Tests/Surfaces/run sets it)")
    (workdir / "config.toml").write_text("")
    yield workdir
    wait_for(lambda: not processes_of(workdir), "the MCP server and its children to exit", deadline=60)


def a4ps_args(directory: Path) -> list[str]:
    return ["--image", str(directory / "t.image"), "--config", str(directory / "config.toml")]


@asynccontextmanager
async def mcp_session(directory: Path, message_handler=None):
    """An initialized client session with `a4ps mcp` on the directory's image; its log is mcp.log."""
    server = StdioServerParameters(command=A4PS_BIN, args=["mcp", *a4ps_args(directory), "--verbose"],
                                   env={**os.environ, MARK: str(directory)})
    with open(directory / "mcp.log", "w") as log:
        async with stdio_client(server, errlog=log) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=DEADLINE, message_handler=message_handler) as session:
                result = await session.initialize()
                assert result.server_info.name == "a4ps"
                assert processes_of(directory), "the server is not found by its mark (the teardown check would see nothing)"
                yield session


def text_of(result) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def log_of(directory: Path) -> str:
    path = directory / "mcp.log"
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def test_lists_the_tools_with_input_schemas(image_dir):
    async def check():
        async with mcp_session(image_dir) as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert set(tools) == {"ask", "send", "memory_search", "inspect", "resume", "fork"}
            for tool in tools.values():
                assert tool.description
                assert tool.input_schema["type"] == "object" and tool.input_schema["properties"]
            assert tools["ask"].input_schema["required"] == ["task"]
            assert set(tools["send"].input_schema["required"]) == {"proto", "selector"}
            assert tools["memory_search"].input_schema["properties"]["mode"]["enum"] == ["text", "vector", "hybrid"]
            assert "proto" in tools["inspect"].input_schema["properties"]

    asyncio.run(check())


def test_inspect_and_send_answer_and_mistakes_come_back_as_tool_errors(image_dir):
    async def check():
        async with mcp_session(image_dir) as session:
            brick = await session.call_tool("inspect", {"proto": "BRICK"})
            assert not brick.is_error, text_of(brick)
            assert brick.structured_content["name"] == "BRICK"
            assert "countdown" in brick.structured_content["methods"]
            assert json.loads(text_of(brick))["name"] == "BRICK"

            listed = await session.call_tool("inspect", {})
            assert PERSONAS <= {p["name"] for p in listed.structured_content["protos"]}

            countdown = await session.call_tool("send", {"proto": "BRICK", "selector": "countdown", "args": {"n": 3}})
            assert not countdown.is_error, text_of(countdown)
            assert countdown.structured_content["answer"] == [3, 2, 1, 0]
            # The send changed the image: BRICK remembers the deepest countdown.
            after = await session.call_tool("inspect", {"proto": "BRICK"})
            assert after.structured_content["slots"]["lastCountdown"] == 3

            unknown = await session.call_tool("inspect", {"proto": "NOBODY"})
            assert unknown.is_error
            assert "NOBODY" in text_of(unknown) and "BRICK" in text_of(unknown)  # names the protos there are

            to_nobody = await session.call_tool("send", {"proto": "NOBODY", "selector": "describe"})
            assert to_nobody.is_error and "NOBODY" in text_of(to_nobody)

            missing = await session.call_tool("send", {"selector": "describe"})
            assert missing.is_error and "'proto'" in text_of(missing)

            wrong_type = await session.call_tool("memory_search", {"query": "x", "limit": "many"})
            assert wrong_type.is_error and "'limit'" in text_of(wrong_type) and "integer" in text_of(wrong_type)

            misspelt = await session.call_tool("ask", {"tsak": "hello"})
            assert misspelt.is_error and "'tsak'" in text_of(misspelt) and "task" in text_of(misspelt)

            no_tool = await session.call_tool("forget_everything", {})
            assert no_tool.is_error and "ask" in text_of(no_tool)

            # The server took all that and still answers.
            again = await session.call_tool("inspect", {"proto": "ROBIN"})
            assert not again.is_error and again.structured_content["name"] == "ROBIN"

    asyncio.run(check())


def test_lists_and_reads_proto_resources(image_dir):
    async def check():
        async with mcp_session(image_dir) as session:
            resources = {str(r.uri): r for r in (await session.list_resources()).resources}
            for name in PERSONAS:
                assert f"a4ps://protos/{name}" in resources
            templates = {t.uri_template for t in (await session.list_resource_templates()).resource_templates}
            assert templates == {"a4ps://protos/{name}", "a4ps://runs/{id}"}

            read = await session.read_resource("a4ps://protos/ALFRED")
            assert json.loads(read.contents[0].text)["name"] == "ALFRED"
            assert read.contents[0].mime_type == "application/json"

            with pytest.raises(MCPError) as missing:
                await session.read_resource("a4ps://protos/NOBODY")
            assert "NOBODY" in str(missing.value)
            with pytest.raises(MCPError):
                await session.read_resource("a4ps://runs/no-such-run")

    asyncio.run(check())


def test_memory_search_finds_what_was_remembered(image_dir):
    remembered = "The lighthouse keeper paints the door teal every spring."
    added = subprocess.run([A4PS_BIN, "memory", "add", remembered, *a4ps_args(image_dir)],
                           capture_output=True, text=True, timeout=DEADLINE * 5)
    assert added.returncode == 0, added.stderr

    async def check():
        async with mcp_session(image_dir) as session:
            for mode in ("text", "hybrid"):
                found = await session.call_tool("memory_search", {"query": "lighthouse door teal", "mode": mode, "limit": 3})
                assert not found.is_error, text_of(found) + log_of(image_dir)
                hits = found.structured_content["hits"]
                assert hits and hits[0]["text"] == remembered, (mode, hits)
            nothing = await session.call_tool("memory_search", {"query": "zeppelin", "mode": "text"})
            assert not nothing.is_error and nothing.structured_content["hits"] == []
            bad_mode = await session.call_tool("memory_search", {"query": "x", "mode": "psychic"})
            assert bad_mode.is_error and "hybrid" in text_of(bad_mode)

    asyncio.run(check())


def test_ask_runs_a_real_deliberation_and_its_run_is_a_resource(image_dir):
    async def check():
        async with mcp_session(image_dir) as session:
            asked = await session.call_tool("ask", {"task": "In one sentence: why is the sky blue?", "max_turns": 1},
                                            read_timeout_seconds=ASK_DEADLINE)
            assert not asked.is_error, text_of(asked) + log_of(image_dir)
            summary = asked.structured_content
            assert summary["status"] == "done"
            assert isinstance(summary["answer"], str) and summary["answer"].strip()
            assert text_of(asked).strip() == summary["answer"].strip()

            uri = f"a4ps://runs/{summary['run']}"
            assert uri in {str(r.uri) for r in (await session.list_resources()).resources}
            run = json.loads((await session.read_resource(uri)).contents[0].text)
            assert run["id"] == summary["run"] and run["status"] == "done"
            assert run["graph"] == "ALFRED.deliberation" and run["steps"]
            assert run["state"]["answer"] == summary["answer"]

    asyncio.run(check())


def test_resume_and_fork_continue_runs_and_subscribers_hear_of_changes(image_dir):
    """A graph of its own pauses for the Architect (no model needed); `resume` answers it, `fork`
    starts again from a checkpoint with an edited state; a subscribed client is told of every change."""
    def cli(*args):
        done = subprocess.run([A4PS_BIN, *args, *a4ps_args(image_dir)], capture_output=True, text=True, timeout=DEADLINE * 5)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    cli("slot", "set", "ALFRED", "approval", json.dumps(
        {"entry": "ask", "nodes": {"ask": {"proto": "ALFRED", "selector": "askHuman"}}, "edges": {"ask": "END"}}))
    cli("method", "define", "ALFRED", "askHuman", "--source",
        "local answer = interrupt({question = 'Which colour, ' .. (args.who or 'Architect') .. '?'})\n"
        "return {answer = 'the colour is ' .. answer}")
    started = cli("runs", "start", "ALFRED.approval", "--state", json.dumps({"who": "Architect"}))
    run_id = started.split()[0]
    assert "paused" in started, started

    async def check():
        notes = []

        async def heard(message):
            message = getattr(message, "root", message)  # older clients wrap notifications in a RootModel
            if hasattr(message, "method"):
                notes.append(message)

        async with mcp_session(image_dir, message_handler=heard) as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert {"resume", "fork"} <= set(tools) and tools["fork"].input_schema["required"] == ["run", "step"]
            uri = f"a4ps://runs/{run_id}"
            await session.subscribe_resource(uri)
            await session.subscribe_resource("a4ps://protos/BRICK")
            with pytest.raises(MCPError):
                await session.subscribe_resource("a4ps://protos/NOBODY")

            # A paused run needs the Architect's input; the mistake comes back as a tool error.
            no_input = await session.call_tool("resume", {"run": run_id})
            assert no_input.is_error and "'input'" in text_of(no_input) and "Which colour" in text_of(no_input)
            resumed = await session.call_tool("resume", {"run": run_id, "input": "teal"})
            assert not resumed.is_error, text_of(resumed) + log_of(image_dir)
            assert resumed.structured_content["status"] == "done"
            assert resumed.structured_content["answer"] == "the colour is teal"
            finished = await session.call_tool("resume", {"run": run_id})
            assert finished.is_error and "fork" in text_of(finished)

            # A fork from the first checkpoint, with an edited state, pauses again with its own question.
            forked = await session.call_tool("fork", {"run": run_id, "step": 0, "state": {"who": "BRICK"}})
            assert not forked.is_error, text_of(forked)
            fork = forked.structured_content
            assert fork["status"] == "paused" and fork["run"] != run_id and fork["forked_from"] == f"{run_id}@0"
            assert fork["interrupt"]["question"] == "Which colour, BRICK?"
            for bad, needle in [({"run": run_id}, "'step'"), ({"run": run_id, "step": 99}, "99"),
                                ({"run": run_id, "step": 0, "state": [1]}, "'state'"), ({"run": "nope", "step": 0}, "nope")]:
                refused = await session.call_tool("fork", bad)
                assert refused.is_error and needle in text_of(refused), (bad, text_of(refused))

            # The subscribed run and proto were announced as updated; the new run made the list change.
            await session.call_tool("send", {"proto": "BRICK", "selector": "countdown", "args": {"n": 2}})
            def updated(target):
                return any(getattr(n, "method", "") == "notifications/resources/updated" and str(n.params.uri) == target for n in notes)
            await asyncio.to_thread(wait_for, lambda: updated(uri) and updated("a4ps://protos/BRICK"), "the updates to be announced")
            assert any(getattr(n, "method", "") == "notifications/resources/list_changed" for n in notes)
            await session.unsubscribe_resource(uri)

    asyncio.run(check())
