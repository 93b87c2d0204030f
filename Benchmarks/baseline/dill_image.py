"""The seeds' own Living Image design (seeds 000 and 004), as a baseline for a4ps-bench.

A Proto holds name, codex, state and methods (Python functions made from source, bound with
MethodType, as the seeds' Tool Forge does); a ProtoManager holds them all and persists the whole
image with dill on every save. We time "persist one change" (modify one proto, dump the whole
image — with and without fsync; the seeds do not fsync) and "load" (dill.load of the file).

Usage: python dill_image.py --protos N --methods M --repeat R --dir DIR   (prints JSON)
"""
import argparse
import copy
import json
import os
import statistics
import time
from threading import Lock
from types import MethodType

import dill


class Proto:
    def __init__(self, name, codex):
        self.name = name
        self.codex = codex
        self.state = {"version": 1.0}
        self.model_name = codex.get("model_name")
        self.system_prompt = codex.get("system_prompt")

    def clone(self):
        return copy.deepcopy(self)

    def add_method(self, name, source):
        namespace = {}
        exec(source, namespace)
        setattr(self, name, MethodType(namespace[name], self))


class ProtoManager:
    def __init__(self):
        self._protos = {}
        self._lock = Lock()

    def register_proto(self, proto):
        with self._lock:
            self._protos[proto.name] = proto

    def atomic_swap(self, name, new_proto):
        with self._lock:
            self._protos[name] = new_proto

    def save_image(self, path, fsync=False):
        with self._lock:
            with open(path, "wb") as f:
                dill.dump(self._protos, f)
                if fsync:
                    f.flush()
                    os.fsync(f.fileno())

    @staticmethod
    def load_image(path):
        with open(path, "rb") as f:
            return dill.load(f)


def build(n, m):
    manager = ProtoManager()
    for i in range(n):
        p = Proto(f"P{i}", {"role": "bench", "principles": ["one", "two"], "model_name": "m", "system_prompt": "s"})
        p.state.update({"index": i, "note": "bench proto"})
        for k in range(m):
            p.add_method(f"m{k}", f"def m{k}(self, args=0):\n    '''Method {k} of P{i}.'''\n    return (args or 0) + {k}\n")
        manager.register_proto(p)
    return manager


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--protos", type=int, default=100)
    ap.add_argument("--methods", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", default=".")
    a = ap.parse_args()
    manager = build(a.protos, a.methods)
    path = os.path.join(a.dir, f"dill-{a.protos}x{a.methods}.img")
    persist, persist_fsync, load = [], [], []
    for r in range(a.repeat):
        clone = manager._protos[f"P{r % a.protos}"].clone()
        clone.add_method("changing", f"def changing(self, args=0):\n    return {r}\n")
        manager.atomic_swap(clone.name, clone)
        t = time.perf_counter(); manager.save_image(path); persist.append(time.perf_counter() - t)
        t = time.perf_counter(); manager.save_image(path, fsync=True); persist_fsync.append(time.perf_counter() - t)
        t = time.perf_counter(); ProtoManager.load_image(path); load.append(time.perf_counter() - t)
    print(json.dumps({
        "protos": a.protos, "methods": a.methods, "bytes": os.path.getsize(path),
        "persist_ms": statistics.median(persist) * 1000,
        "persist_fsync_ms": statistics.median(persist_fsync) * 1000,
        "load_ms": statistics.median(load) * 1000,
    }))
    os.remove(path)


if __name__ == "__main__":
    main()
