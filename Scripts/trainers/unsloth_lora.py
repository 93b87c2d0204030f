#!/usr/bin/env python3
"""The a4ps GPU trainer: the same job as cpu_lora.py, with Unsloth on a CUDA host.

    python Scripts/trainers/unsloth_lora.py SPEC.json

UNTESTED HERE: Unsloth refuses to import without a GPU ("Unsloth cannot find any torch
accelerator? You need a GPU."), and the machines this project is built on have none. It is
compiled (`python -m py_compile`) and follows Unsloth's documented API (seed 002 §3.2):
FastLanguageModel.from_pretrained → get_peft_model → TRL SFTTrainer → PEFT save_pretrained (the
directory vLLM loads) → a GGUF adapter, either with llama.cpp's convert_lora_to_gguf.py from the
same sdist as the server (when Scripts/install-trainer put it in the cache, as on the CPU path) or
with Unsloth's own `save_pretrained_gguf(save_method="lora")` (which fetches llama.cpp itself).

Same job spec, same JSON-lines protocol and exit codes as cpu_lora.py (see trainer_protocol.py).
`base_model` should be a Hugging Face directory or hub id the GPU host can read; a GGUF base is
first turned into a Hugging Face directory with transformers (dequantized), as cpu_lora.py does.
Install on the GPU host: `pip install unsloth` (it brings torch with CUDA, transformers, peft, trl).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trainer_protocol import (  # noqa: E402
    TARGET_MODULES, Events, JobSpec, SpecError, Stopwatch, default_convert_script, run_trainer)

TRAINER = "unsloth-lora"


def main(argv: list[str]) -> int:
    return run_trainer(argv, "unsloth_lora.py", train)


def hf_base(spec: JobSpec) -> str:
    """A base Unsloth can load: a GGUF is dequantized into a Hugging Face directory first."""
    gguf = spec.gguf_base()
    if gguf is None:
        return spec.base_model
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig
    base_dir = spec.output_dir / "base-hf-full"
    if not (base_dir / "config.json").is_file():
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32,
                                                     quantization_config=GgufConfig(dequantize=True))
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model.save_pretrained(base_dir)
        tokenizer.save_pretrained(base_dir)
        del model
    return str(base_dir)


def train(spec: JobSpec, train_rows: list, holdout_rows: list, events: Events) -> None:
    clock = Stopwatch()
    hyper = spec.hyper
    spec.output_dir.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    base = hf_base(spec)
    # Unsloth patches transformers, peft and trl when imported; import it before them.
    from unsloth import FastLanguageModel
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer
    import torch
    clock.lap("import_s", started)
    events.emit("started", trainer=TRAINER, examples=len(train_rows), holdout_examples=len(holdout_rows),
                torch=torch.__version__, device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)

    started = time.monotonic()
    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=base, max_seq_length=hyper.max_seq_length, dtype=None,
        load_in_4bit=False, load_in_8bit=False, full_finetuning=False)
    model = FastLanguageModel.get_peft_model(
        model, r=hyper.r, target_modules=TARGET_MODULES, lora_alpha=hyper.alpha, lora_dropout=hyper.dropout,
        bias="none", use_gradient_checkpointing="unsloth", random_state=hyper.seed, use_rslora=False,
        modules_to_save=None)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    clock.lap("load_s", started)

    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    config = SFTConfig(
        output_dir=str(spec.output_dir / "checkpoints"),
        per_device_train_batch_size=hyper.batch_size,
        per_device_eval_batch_size=hyper.batch_size,
        num_train_epochs=hyper.epochs if hyper.epochs > 0 else 1.0,
        max_steps=hyper.max_steps if hyper.max_steps > 0 else -1,
        learning_rate=hyper.learning_rate,
        lr_scheduler_type="constant",
        logging_steps=1,
        save_strategy="no",
        eval_strategy="no",
        report_to="none",
        bf16=bf16,
        fp16=not bf16,
        max_length=hyper.max_seq_length,
        completion_only_loss=True,
        packing=False,
        seed=hyper.seed,
        disable_tqdm=True,
    )

    class Progress(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
            if logs and "loss" in logs:
                events.emit("progress", step=state.global_step, max_steps=state.max_steps,
                            loss=_number(logs.get("loss")), epoch=_number(logs.get("epoch")),
                            learning_rate=_number(logs.get("learning_rate")))

    holdout_set = Dataset.from_list(holdout_rows) if holdout_rows else None
    trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(train_rows),
                         eval_dataset=holdout_set, processing_class=tokenizer, callbacks=[Progress()])

    eval_before = None
    if holdout_set is not None and hyper.eval_before:
        eval_before = _number(trainer.evaluate().get("eval_loss"))
        events.emit("eval", phase="before", loss=eval_before)
    started = time.monotonic()
    result = trainer.train()
    train_s = clock.lap("train_s", started)
    steps = trainer.state.global_step
    eval_after = None
    if holdout_set is not None:
        eval_after = _number(trainer.evaluate().get("eval_loss"))
        events.emit("eval", phase="after", loss=eval_after)

    started = time.monotonic()
    peft_dir = spec.output_dir / "peft"
    if peft_dir.exists():
        shutil.rmtree(peft_dir)
    model.save_pretrained(str(peft_dir))
    tokenizer.save_pretrained(str(peft_dir))
    shutil.rmtree(spec.output_dir / "checkpoints", ignore_errors=True)
    clock.lap("save_s", started)

    started = time.monotonic()
    adapter = spec.output_dir / f"{spec.adapter_name}.gguf"
    convert_script = spec.convert_script or default_convert_script()
    if convert_script.is_file():
        partial = spec.output_dir / f".{spec.adapter_name}.gguf.partial"
        command = [sys.executable, str(convert_script), "--base", base, "--outtype", hyper.outtype,
                   "--outfile", str(partial), str(peft_dir)]
        environment = {key: value for key, value in os.environ.items() if key != "NO_LOCAL_GGUF"}
        converted = subprocess.run(command, stdout=sys.stderr, stderr=sys.stderr, env=environment)
        if converted.returncode != 0 or not partial.is_file():
            partial.unlink(missing_ok=True)
            raise RuntimeError(f"convert_lora_to_gguf.py failed with exit code {converted.returncode}")
        os.replace(partial, adapter)
    else:
        # Unsloth's own export runs the same llama.cpp converter (it clones llama.cpp: needs network).
        gguf_dir = spec.output_dir / "unsloth-gguf"
        model.save_pretrained_gguf(str(gguf_dir), tokenizer, save_method="lora", quantization_method=hyper.outtype)
        produced = sorted(gguf_dir.glob("*.gguf"))
        if not produced:
            raise RuntimeError(f"save_pretrained_gguf wrote no .gguf into {gguf_dir}")
        os.replace(produced[0], adapter)
    clock.lap("convert_s", started)

    examples_seen = min(steps * hyper.batch_size, len(train_rows) * max(1, math.ceil(hyper.epochs)))
    events.emit(
        "done", trainer=TRAINER, adapter_gguf=str(adapter), adapter_bytes=adapter.stat().st_size,
        peft_dir=str(peft_dir), base_hf_dir=base, steps=steps, examples=len(train_rows),
        examples_seen=examples_seen, holdout_examples=len(holdout_rows),
        train_loss=_number(result.training_loss), eval_loss_before=eval_before, eval_loss_after=eval_after,
        timings={**clock.timings, "per_step_s": round(train_s / steps, 3) if steps else None,
                 "per_example_s": round(train_s / examples_seen, 3) if examples_seen else None,
                 "total_s": clock.total()},
    )


def _number(value):  # noqa: ANN001, ANN202
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


if __name__ == "__main__":
    sys.exit(main(sys.argv))
