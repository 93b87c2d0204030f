#!/usr/bin/env python3
"""The a4ps CPU trainer: a LoRA fine-tune of the embedded model on the CPU, out as a GGUF adapter.

    venv-trainer/bin/python Scripts/trainers/cpu_lora.py SPEC.json

Loads the base straight from its GGUF with transformers (dequantized to fp32), puts a PEFT LoRA on
the attention and MLP projections (never lm_head/embed_tokens: SmolLM2 ties them, and llama.cpp's
converter refuses them), trains with TRL's SFTTrainer on the dataset's ChatML conversations (the
loss on the final assistant answer), evaluates on the hold-out set before and after, saves the PEFT
directory (for vLLM) and converts it with llama.cpp's convert_lora_to_gguf.py (for llama.cpp and
Ollama). The job spec and the JSON-lines protocol are described in trainer_protocol.py.
Installed by Scripts/install-trainer.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# OpenMP threads that spin while they wait for work are ruinous on a shared 2-core machine: with
# other processes busy, torch's two threads took 40-70 s for a forward pass that takes 1.3 s
# with passive waiting (measured). libgomp reads this when torch loads, so it is set first.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trainer_protocol import (  # noqa: E402
    TARGET_MODULES, Events, JobSpec, SpecError, Stopwatch, cache_directory, default_convert_script,
    run_trainer)

TRAINER = "cpu-lora"
# llama-server's fallback for a GGUF without a chat template, as a Jinja template for transformers.
CHATML_TEMPLATE = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
                   "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def main(argv: list[str]) -> int:
    return run_trainer(argv, "cpu_lora.py", train, check=check_converter)


def check_converter(spec: JobSpec) -> None:
    """llama.cpp's converter must be there before anything is trained."""
    if not converter(spec).is_file():
        raise SpecError(f"llama.cpp's converter {converter(spec)} is missing: run Scripts/install-trainer")


def converter(spec: JobSpec) -> Path:
    return spec.convert_script or default_convert_script()


def train(spec: JobSpec, train_rows: list, holdout_rows: list, events: Events) -> None:
    clock = Stopwatch()
    convert_script = converter(spec)
    hyper = spec.hyper
    # Offline for good: the base comes from a local file, never a hub.
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[key] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("WANDB_DISABLED", "true")

    threads = hyper.threads or os.cpu_count() or 1
    events.emit("started", trainer=TRAINER, examples=len(train_rows), holdout_examples=len(holdout_rows), threads=threads)
    started = time.monotonic()
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer
    clock.lap("import_s", started)

    torch.set_num_threads(threads)
    torch.manual_seed(hyper.seed)
    spec.output_dir.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    gguf = spec.gguf_base()
    if gguf is not None:
        base_dir = prepare_base(gguf, events)
    else:
        base_dir = Path(spec.base_model)
        if not (base_dir / "config.json").is_file():
            raise SpecError(f"the base model {spec.base_model} is neither a GGUF file nor a Hugging Face directory "
                            "with config.json (this trainer never downloads)")
    model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not tokenizer.chat_template:
        # A base model without a chat template of its own (Gemma 3 270M, which a persona may ascend
        # to): llama-server serves it with ChatML, so it learns ChatML.
        tokenizer.chat_template = CHATML_TEMPLATE
    clock.lap("load_s", started)
    events.emit("loaded", base=str(gguf or base_dir), base_hf_dir=str(base_dir), parameters=sum(p.numel() for p in model.parameters()),
                seconds=clock.timings["load_s"], torch=torch.__version__)

    train_set = Dataset.from_list(train_rows)
    holdout_set = Dataset.from_list(holdout_rows) if holdout_rows else None
    checkpoints = spec.output_dir / "checkpoints"
    config = SFTConfig(
        output_dir=str(checkpoints),
        per_device_train_batch_size=hyper.batch_size,
        per_device_eval_batch_size=hyper.batch_size,
        num_train_epochs=hyper.epochs if hyper.epochs > 0 else 1.0,
        max_steps=hyper.max_steps if hyper.max_steps > 0 else -1,
        learning_rate=hyper.learning_rate,
        lr_scheduler_type="constant",
        warmup_steps=0,
        logging_steps=1,
        save_strategy="no",
        eval_strategy="no",
        report_to="none",
        # SFTConfig defaults to bf16, which a CPU refuses; gradient checkpointing only costs time at 135M.
        bf16=False,
        fp16=False,
        use_cpu=True,
        gradient_checkpointing=False,
        max_length=hyper.max_seq_length,
        completion_only_loss=True,
        packing=False,
        seed=hyper.seed,
        data_seed=hyper.seed,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    lora = LoraConfig(r=hyper.r, lora_alpha=hyper.alpha, lora_dropout=hyper.dropout, bias="none",
                      target_modules=TARGET_MODULES, task_type="CAUSAL_LM")

    class Progress(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
            if logs and "loss" in logs:
                events.emit("progress", step=state.global_step, max_steps=state.max_steps,
                            loss=_number(logs.get("loss")), epoch=_number(logs.get("epoch")),
                            learning_rate=_number(logs.get("learning_rate")))

    started = time.monotonic()
    trainer = SFTTrainer(model=model, args=config, train_dataset=train_set, eval_dataset=holdout_set,
                         processing_class=tokenizer, peft_config=lora, callbacks=[Progress()])
    clock.lap("prepare_s", started)
    if len(trainer.train_dataset) == 0:
        # TRL drops an example whose answer its truncation cuts off entirely.
        raise SpecError(f"none of the {len(train_rows)} training example(s) fits in max_seq_length = {hyper.max_seq_length} tokens "
                        "with its answer: raise [strategic] max_seq_length")
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)

    eval_before = None
    if holdout_set is not None and hyper.eval_before:
        started = time.monotonic()
        eval_before = _number(trainer.evaluate().get("eval_loss"))
        clock.lap("eval_before_s", started)
        events.emit("eval", phase="before", loss=eval_before)

    started = time.monotonic()
    result = trainer.train()
    train_s = clock.lap("train_s", started)
    steps = trainer.state.global_step

    eval_after = None
    if holdout_set is not None:
        started = time.monotonic()
        eval_after = _number(trainer.evaluate().get("eval_loss"))
        clock.lap("eval_after_s", started)
        events.emit("eval", phase="after", loss=eval_after)

    started = time.monotonic()
    peft_dir = spec.output_dir / "peft"
    if peft_dir.exists():
        shutil.rmtree(peft_dir)
    trainer.model.save_pretrained(str(peft_dir))
    if gguf is None or not spec.base_model.endswith(".gguf"):
        # vLLM and Unsloth read the base from here; a GGUF path means nothing to them.
        _set_adapter_base(peft_dir, spec.base_model)
    shutil.rmtree(checkpoints, ignore_errors=True)
    clock.lap("save_s", started)

    started = time.monotonic()
    adapter = spec.output_dir / f"{spec.adapter_name}.gguf"
    partial = spec.output_dir / f".{spec.adapter_name}.gguf.partial"
    command = [sys.executable, str(convert_script), "--base", str(base_dir), "--outtype", hyper.outtype,
               "--outfile", str(partial), str(peft_dir)]
    # The converter uses its own gguf-py (the sdist's, matching the server) unless NO_LOCAL_GGUF is set.
    environment = {key: value for key, value in os.environ.items() if key != "NO_LOCAL_GGUF"}
    converted = subprocess.run(command, stdout=sys.stderr, stderr=sys.stderr, env=environment)
    if converted.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"convert_lora_to_gguf.py failed with exit code {converted.returncode} (its output is on stderr)")
    os.replace(partial, adapter)
    clock.lap("convert_s", started)

    examples_seen = _examples_seen(steps, hyper.batch_size, len(train_rows))
    events.emit(
        "done",
        trainer=TRAINER,
        adapter_gguf=str(adapter),
        adapter_bytes=adapter.stat().st_size,
        peft_dir=str(peft_dir),
        base_hf_dir=str(base_dir),
        steps=steps,
        examples=len(train_rows),
        examples_seen=examples_seen,
        holdout_examples=len(holdout_rows),
        train_loss=_number(result.training_loss),
        eval_loss_before=eval_before,
        eval_loss_after=eval_after,
        trainable_parameters=trainable,
        timings={**clock.timings,
                 "per_step_s": round(train_s / steps, 3) if steps else None,
                 "per_example_s": round(train_s / examples_seen, 3) if examples_seen else None,
                 "total_s": clock.total()},
    )


def base_cache_directory() -> Path:
    return Path(os.environ.get("A4PS_TRAINER_BASES") or cache_directory() / "trainer-bases")


def prepare_base(gguf: Path, events: Events | None = None) -> Path:
    """The GGUF base as a Hugging Face directory (config, tokenizer, fp32 safetensors), made once
    per GGUF file and kept in the cache (`trainer-bases/NAME-SIZE`): transformers dequantizes the
    GGUF straight (minutes on 2 busy cores), later jobs load the safetensors in seconds. The same
    directory is convert_lora_to_gguf.py's `--base` (it reads the config's architecture)."""
    import fcntl

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    cache = base_cache_directory()
    target = cache / f"{gguf.stem}-{gguf.stat().st_size}"
    if (target / "config.json").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "config.json").is_file():
            return target
        if events is not None:
            events.emit("preparing_base", gguf=str(gguf), directory=str(target))
        started = time.monotonic()
        # dequantize=True: plain fp32 tensors (transformers refuses to save a model still marked
        # as gguf-quantized).
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32,
                                                     quantization_config=GgufConfig(dequantize=True))
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        partial = cache / f".{target.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        model.save_pretrained(str(partial))
        tokenizer.save_pretrained(str(partial))
        os.replace(partial, target)
        print(f"a4ps: dequantized {gguf.name} into {target} in {time.monotonic() - started:.1f} s", file=sys.stderr)
        return target


def _examples_seen(steps: int, batch_size: int, examples: int) -> int:
    """How many examples the steps went through (the last batch of an epoch can be short)."""
    per_epoch = max(1, math.ceil(examples / batch_size))
    full, rest = divmod(steps, per_epoch)
    return full * examples + min(rest * batch_size, examples)


def _number(value):  # noqa: ANN001, ANN202
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _set_adapter_base(peft_dir: Path, base: str) -> None:
    config_path = peft_dir / "adapter_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = base
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--prepare-base":
        # Scripts/install-trainer: dequantize the embedded model once, ahead of the first job.
        print(prepare_base(Path(sys.argv[2])))
        sys.exit(0)
    sys.exit(main(sys.argv))
