"""What the a4ps trainers share: the job spec, the JSON-lines protocol on stdout, the dataset.

A trainer is started as `python TRAINER.py SPEC.json`. It writes one JSON object per line on its
stdout and nothing else there (library output is moved to stderr):

    {"event": "started", "trainer": "cpu-lora", ...}
    {"event": "progress", "step": 3, "max_steps": 5, "loss": 2.31, "epoch": 0.6, "learning_rate": 0.0002}
    {"event": "eval", "loss": 2.1, "phase": "before" | "after"}
    {"event": "done", "adapter_gguf": "...", "peft_dir": "...", "timings": {...}, ...}
    {"event": "error", "message": "..."}          (then a non-zero exit)

Exit codes: 0 done, 1 training or conversion failed, 2 bad spec or dataset.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

LLAMA_BUILD = "b11434"
TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class SpecError(Exception):
    """The job spec or its dataset cannot be used (exit code 2)."""


class Events:
    """The protocol channel: the original stdout, line-buffered. After `capture()`, anything else
    written to fd 1 (Python prints, C libraries, tqdm) lands on stderr instead."""

    def __init__(self) -> None:
        self._out: TextIO = sys.stdout

    def capture(self) -> None:
        sys.stdout.flush()
        self._out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
        os.dup2(2, 1)
        sys.stdout = sys.stderr

    def emit(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, **fields}, ensure_ascii=False, allow_nan=False, default=str)
        self._out.write(line + "\n")
        self._out.flush()


@dataclass
class Hyper:
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    epochs: float = 1.0
    max_steps: int = -1
    learning_rate: float = 2e-4
    batch_size: int = 4
    max_seq_length: int = 512
    seed: int = 3407
    threads: int = 0
    outtype: str = "f16"
    eval_before: bool = True

    @staticmethod
    def parse(raw: Any) -> "Hyper":
        if raw is None:
            return Hyper()
        if not isinstance(raw, dict):
            raise SpecError("`hyper` must be an object")
        hyper = Hyper()
        for key, value in raw.items():
            if not hasattr(hyper, key):
                raise SpecError(f"unknown hyper-parameter `{key}`")
            default = getattr(hyper, key)
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise SpecError(f"hyper-parameter `{key}` must be true or false")
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
                    raise SpecError(f"hyper-parameter `{key}` must be an integer")
                value = int(value)
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise SpecError(f"hyper-parameter `{key}` must be a number")
                value = float(value)
            elif not isinstance(value, type(default)):
                raise SpecError(f"hyper-parameter `{key}` must be a {type(default).__name__}")
            setattr(hyper, key, value)
        if hyper.r < 1 or hyper.batch_size < 1 or hyper.max_seq_length < 16:
            raise SpecError("hyper-parameters r and batch_size must be ≥ 1, max_seq_length ≥ 16")
        if hyper.max_steps <= 0 and hyper.epochs <= 0:
            raise SpecError("give max_steps > 0 or epochs > 0")
        if hyper.outtype not in ("f32", "f16", "bf16", "q8_0"):
            raise SpecError("outtype must be f32, f16, bf16 or q8_0")
        return hyper


@dataclass
class JobSpec:
    base_model: str
    base_gguf: str | None
    dataset: Path
    holdout: Path | None
    output_dir: Path
    hyper: Hyper
    convert_script: Path | None = None
    adapter_name: str = "adapter"
    extra: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def load(path: str) -> "JobSpec":
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise SpecError(f"cannot read the job spec {path}: {error}") from error
        except json.JSONDecodeError as error:
            raise SpecError(f"the job spec {path} is not JSON: {error}") from error
        if not isinstance(raw, dict):
            raise SpecError("the job spec must be a JSON object")

        def text(key: str, required: bool) -> str | None:
            value = raw.get(key)
            if value is None or value == "":
                if required:
                    raise SpecError(f"the job spec lacks `{key}`")
                return None
            if not isinstance(value, str):
                raise SpecError(f"`{key}` must be a string")
            return value

        base_gguf = text("base_gguf", False)
        base_model = text("base_model", False) or base_gguf
        if base_model is None:
            raise SpecError("the job spec needs `base_model` (a Hugging Face directory or a GGUF file) or `base_gguf`")
        dataset = Path(text("dataset", True))
        if not dataset.is_file():
            raise SpecError(f"the dataset {dataset} does not exist")
        holdout = text("holdout", False)
        if holdout is not None and not Path(holdout).is_file():
            raise SpecError(f"the hold-out set {holdout} does not exist")
        convert = text("convert_script", False)
        name = text("adapter_name", False) or "adapter"
        if "/" in name or name.startswith("."):
            raise SpecError("`adapter_name` must be a plain file name")
        return JobSpec(base_model=base_model, base_gguf=base_gguf, dataset=dataset,
                       holdout=Path(holdout) if holdout else None,
                       output_dir=Path(text("output_dir", True)), hyper=Hyper.parse(raw.get("hyper")),
                       convert_script=Path(convert) if convert else None, adapter_name=name)

    def gguf_base(self) -> Path | None:
        """The base as a GGUF file, when it is one."""
        for candidate in (self.base_gguf, self.base_model):
            if candidate and candidate.endswith(".gguf") and Path(candidate).is_file():
                return Path(candidate)
        return None


ROLES = {"system", "user", "assistant"}


def read_conversations(path: Path) -> list[dict[str, Any]]:
    """The JSONL's ChatML conversations as TRL prompt/completion rows: the last assistant turn is the
    completion (the loss is taken on it only), everything before it the prompt. A line that is not a
    conversation ending in an assistant turn is refused with its line number."""
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                raise SpecError(f"{path}:{number} is not JSON: {error}") from error
            messages = item.get("messages") if isinstance(item, dict) else None
            if not isinstance(messages, list) or len(messages) < 2:
                raise SpecError(f"{path}:{number} has no `messages` list of at least two turns")
            for message in messages:
                if (not isinstance(message, dict) or message.get("role") not in ROLES
                        or not isinstance(message.get("content"), str)):
                    raise SpecError(f"{path}:{number}: each message needs a role (system/user/assistant) and a string content")
            if messages[-1]["role"] != "assistant":
                raise SpecError(f"{path}:{number}: the last message must be the assistant's answer")
            rows.append({
                "prompt": [{"role": m["role"], "content": m["content"]} for m in messages[:-1]],
                "completion": [{"role": "assistant", "content": messages[-1]["content"]}],
            })
    if not rows:
        raise SpecError(f"{path} has no examples")
    return rows


def cache_directory() -> Path:
    """a4ps's cache (as Scripts/install-local-model and install-trainer choose it)."""
    cache = os.environ.get("A4PS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "a4ps")
    return Path(cache)


def default_convert_script() -> Path:
    """llama.cpp's converter where Scripts/install-trainer put it (the same cache as the server)."""
    return cache_directory() / f"llama.cpp-{LLAMA_BUILD}" / "convert" / "convert_lora_to_gguf.py"


class Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._started = time.monotonic()

    def lap(self, name: str, since: float) -> float:
        elapsed = round(time.monotonic() - since, 3)
        self.timings[name] = elapsed
        return elapsed

    def total(self) -> float:
        return round(time.monotonic() - self._started, 3)


def run_trainer(argv: list[str], script: str,
                train: Callable[[JobSpec, list, list, Events], None],
                check: Callable[[JobSpec], None] | None = None) -> int:
    """The entry every trainer shares: the protocol channel, the spec and its datasets, `check`
    (what the trainer needs before it starts), then `train`; a failure is reported on the channel
    with its exit code (2 a bad spec or dataset, 1 training or conversion failed)."""
    events = Events()
    events.capture()
    if len(argv) != 2:
        events.emit("error", message=f"usage: {script} SPEC.json", kind="spec")
        return 2
    try:
        spec = JobSpec.load(argv[1])
        train_rows = read_conversations(spec.dataset)
        holdout_rows = read_conversations(spec.holdout) if spec.holdout else []
        if check is not None:
            check(spec)
        train(spec, train_rows, holdout_rows, events)
        return 0
    except SpecError as error:
        events.emit("error", message=str(error), kind="spec")
        return 2
    except Exception as error:  # noqa: BLE001 - every failure is reported on the protocol channel
        traceback.print_exc(file=sys.stderr)
        events.emit("error", message=f"{type(error).__name__}: {error}", kind="training")
        return 1
