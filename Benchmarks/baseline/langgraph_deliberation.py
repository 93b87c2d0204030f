"""The seeds' own deliberation graph (seed 001 graph.py and personas.py) on LangGraph, as the
baseline for issue 4's orchestration benchmark.

What it measures: orchestration cost per deliberation with a zero-latency model. One
deliberation is babs -> brick -> robin -> brick -> robin -> brick -> alfred (the seed's router
stops the dialogue after 5 turns), with LangGraph's SqliteSaver on a real SQLite file, so a
checkpoint is written after every node. The model and the memory search are instant fakes, so the
time is LangGraph's own (state merging, routing, checkpoint serialisation and SQLite writes, each
committed with SQLite's default synchronous setting, so fsync waits count) plus the seed's prompt
building; cpu_ms_median is the process CPU time alone. Each deliberation uses a fresh thread_id; a few warm-up runs go first.

Usage: python langgraph_deliberation.py [--runs N] [--dir DIR] [--durability sync|async|exit]
(prints one JSON line)
"""
import argparse
import importlib.metadata
import json
import operator
import os
import shutil
import statistics
import tempfile
import time
import uuid
from typing import Annotated, TypedDict

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, StateGraph

# --- Instant fakes in place of Ollama (model_manager) and LanceDB (MemoryManager) ---
BABS_MODEL, BRICK_MODEL, ROBIN_MODEL, ALFRED_MODEL = "babs", "brick", "robin", "alfred"


class FakeModelManager:
    def invoke(self, model, prompt, system_prompt):
        return "OK."


class FakeMemory:
    def search_memories(self, query):
        return ["memory one. ", "memory two. ", "memory three. "]


model_manager = FakeModelManager()
memory = FakeMemory()


# --- personas.py, as in the seed. The seed's `return {"socratic_dialogue":}` (a syntax hole)
# --- is filled the obvious way: brick appends [("BRICK", analysis)], robin [("ROBIN", synthesis)].
def babs_node(state):
    # Simplified RAG - in reality, would use a search tool like Tavily
    context = memory.search_memories(state['task'])
    prompt = f"Based on the following context, provide a research report for the task: '{state['task']}'.\n\nContext:\n{''.join(context)}"
    report = model_manager.invoke(BABS_MODEL, prompt, "You are a research analyst.")
    return {"babs_report": report}


def brick_node(state):
    prompt = f"Task: {state['task']}\nResearch Report: {state['babs_report']}\n\nProvide a logical, analytical plan to address the task."
    analysis = model_manager.invoke(BRICK_MODEL, prompt, "You are BRICK, a logical systems analyst.")
    return {"socratic_dialogue": [("BRICK", analysis)]}


def robin_node(state):
    history = "\n".join([f"{name}: {text}" for name, text in state['socratic_dialogue']])
    prompt = f"Current Dialogue:\n{history}\n\nProvide a creative, empathetic synthesis or a gentle, paradoxical question to deepen the understanding."
    synthesis = model_manager.invoke(ROBIN_MODEL, prompt, "You are ROBIN, a compassionate, wise synthesizer.")
    return {"socratic_dialogue": [("ROBIN", synthesis)]}


def alfred_node(state):
    history = "\n".join([f"{name}: {text}" for name, text in state['socratic_dialogue']])
    prompt = f"Synthesize the following dialogue into a final, coherent response for the user.\n\nDialogue:\n{history}"
    final_response = model_manager.invoke(ALFRED_MODEL, prompt, "You are ALFRED, the master synthesizer.")
    return {"alfred_output": final_response}


# --- graph.py, as in the seed ---
class AgentState(TypedDict):
    task: str
    babs_report: str
    socratic_dialogue: Annotated[list, operator.add]
    alfred_output: str
    next_persona: str


def router(state):
    if len(state['socratic_dialogue']) >= 5:  # End dialogue after 5 turns
        return "alfred"
    # Fixed: the seed compares the whole (name, text) tuple with "BRICK", which is never equal,
    # so brick would route to "brick", a key its edge map lacks; compare the name instead.
    last_persona = state['socratic_dialogue'][-1][0]
    return "robin" if last_persona == "BRICK" else "brick"


def build_workflow():
    workflow = StateGraph(AgentState)
    workflow.add_node("babs", babs_node)
    workflow.add_node("brick", brick_node)
    workflow.add_node("robin", robin_node)
    workflow.add_node("alfred", alfred_node)

    workflow.set_entry_point("babs")
    workflow.add_edge("babs", "brick")
    workflow.add_conditional_edges("brick", router, {"robin": "robin", "alfred": "alfred"})
    workflow.add_conditional_edges("robin", router, {"brick": "brick", "alfred": "alfred"})
    workflow.add_edge("alfred", END)
    return workflow


def deliberate(app, durability):
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    nodes = 0
    for update in app.stream({"task": "Plan a week of meals.", "socratic_dialogue": []}, config,
                             stream_mode="updates", durability=durability):
        nodes += len(update)
    return config, nodes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--dir", default=None, help="where the SQLite file goes (default: a temp dir, removed after)")
    ap.add_argument("--durability", default="sync", choices=["sync", "async", "exit"],
                    help="LangGraph's checkpoint durability; sync = each checkpoint is on disk before the next node")
    args = ap.parse_args()

    tmp = args.dir is None
    directory = tempfile.mkdtemp(prefix="lg-bench-") if tmp else args.dir
    os.makedirs(directory, exist_ok=True)
    try:
        with SqliteSaver.from_conn_string(os.path.join(directory, "checkpoints.sqlite")) as saver:
            app = build_workflow().compile(checkpointer=saver)
            for _ in range(args.warmup):
                deliberate(app, args.durability)
            times, cpu, nodes, checkpoints = [], [], set(), set()
            for _ in range(args.runs):
                t0, c0 = time.perf_counter(), time.process_time()
                config, n = deliberate(app, args.durability)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                nodes.add(n)
                checkpoints.add(len(list(saver.list(config))))
                state = app.get_state(config).values
                assert len(state["socratic_dialogue"]) == 5 and state["alfred_output"] == "OK.", state
    finally:
        if tmp:
            shutil.rmtree(directory, ignore_errors=True)

    times.sort()
    one = lambda s: s.pop() if len(s) == 1 else sorted(s)
    print(json.dumps({
        "runs": args.runs,
        "per_deliberation_ms_median": round(statistics.median(times), 3),
        "per_deliberation_ms_p90": round(times[min(len(times) - 1, int(0.9 * len(times)))], 3),
        "cpu_ms_median": round(statistics.median(cpu), 3),  # wall minus this is mostly SQLite fsync waits
        "nodes_per_deliberation": one(nodes),
        "checkpoints_per_deliberation": one(checkpoints),
        "durability": args.durability,
        "langgraph_version": importlib.metadata.version("langgraph"),
    }))


if __name__ == "__main__":
    main()
