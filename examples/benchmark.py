"""Benchmark TRM training and inference speed against the `tiny-recursive-model` package, on this machine.

    python examples/benchmark.py [--quick] [--json PATH] [--device cpu|cuda] [--bf16/--no-bf16] [--compile]
        [--other_precision] [--model SAVED_MODEL] [--config TRAINING_YAML] [--puzzle_dataset DIR]
        [--eval_skip_examples N] [--max_eval_examples N] [--halt_threshold X] [--repeats N] [--batch_size N]

Everything below is measured in one run; timed contestants alternate repeat by repeat (the order
reversed on every other repeat) and the medians are reported.

1. Train step: one supervision step (forward, backward, AdamW step) at the paper's Sudoku size:
   hidden 512, 8 heads, 2 layers, T = 3, n = 6, 81 positions, vocabulary 11, batch 64 on CPU (768 on
   GPU). Ours is `TRMForMathQA` with the attention and the MLP mixer; its 81 positions are one
   summary slot, 40 answer slots and 40 question tokens. The peer is `tiny-recursive-model` (MIT,
   `pip install "trm-math[bench]"`) built from its own blocks at the same sizes (its attention
   network is the x-transformers `Encoder` its trainer expects, its MLP network `MLPMixer1D`); when it
   is not installed it is reported as missing. Both use plain AdamW. The peer's networks differ from
   ours (pre-norm LayerNorm, GELU, no RoPE; a 4 * D wide token MLP), so the sizes are equal, the
   FLOPs are not.
2. Matmul peak: a square matmul (4096^3; 2048^3 with `--quick`) in fp32 and, where the device
   has bf16, in bf16, warmed up, the best of the repeats (a peak measured low would flatter every
   fraction of it), and the fraction of the faster dtype's peak that our train step reaches (see
   `useful_flops_per_train_step`). The compute dtype defaults to bf16 autocast only where bf16 is
   the faster path (`training.precision.bf16_is_faster`: a cached probe on CPUs); the two peaks show
   whether it is, and `--other_precision` also times our train steps in the other precision, interleaved.
   On CPU one more step of each of ours runs under the profiler, for the time its matmul and
   attention kernels take: the fastest peer's step over our least such time bounds what fusing the
   rest of our step (norms, activations, casts, the optimizer) could gain against the peer.
3. Inference: `generate` with ACT (halted rows leave the batch) against all N_sup steps, on the
   held-out set of the training config (`--config`; `--eval_skip_examples`, `--max_eval_examples` pick
   rows): throughput ratio and the difference in string exact match (the decoded answer is the
   reference string).
   The model is `--model`, or one trained in-process from that config (`training/configs/tiny.yaml`).
   With `--puzzle_dataset DIR` and a puzzle `--model`, the held-out set is that dataset's test split
   and the score is exact accuracy (every labelled cell of the grid right);
   `--halt_threshold` sets the ACT halting-logit threshold (default: the model config's).
   `--compile` applies to the train steps only.
4. Peak memory: every contestant again in a fresh subprocess; on CPU the process's peak resident
   set while the workload runs (the kernel's high-water mark, reset once the model and data are
   built) and its growth over the resident set at that point, on GPU `torch.cuda.max_memory_allocated`
   and its growth over the memory allocated before the workload.

`--quick` (batch 8, 3 repeats, 2048^3 matmul, a 300-step inference model) takes a few minutes
on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from transformers import AutoTokenizer, PreTrainedTokenizerBase

import modeling_trm  # noqa: F401  (registers the TRM Auto classes)
from modeling_trm import TRMConfig, TRMForMathQA, TRMForPuzzles, TRMPreTrainedModel
from modeling_trm.configuration_trm import swiglu_width
from modeling_trm.loading import check_tokenizer_matches, load_saved_model
from training.arguments import parse_arguments
from training.data.collator import decode_answers
from training.data.math_datasets import build_eval_dataset, build_math_datasets
from training.data.puzzles.collator import check_model_fits, collate_puzzles, to_model_columns
from training.data.puzzles.common import load_puzzle_dataset
from training.metrics import grid_scores, string_exact_matches
from training.precision import bf16_is_faster
from training.train import main as train_main

REPO = Path(__file__).resolve().parents[1]
TINY_CONFIG = str(REPO / "training" / "configs" / "tiny.yaml")
PEER_PACKAGE = "tiny-recursive-model"
TRAIN_CONTESTANTS = ("ours_attention", "ours_mlp", "peer_attention", "peer_mlp")
GENERATE_MODES = {"act": True, "all_steps": False}
MIN_INFERENCE_REPEATS = 5
# ACT's measured speedup over the one its saved steps allow: below 1 by the per-step embedding and
# halting checks; above 1 only when the all-steps passes were slowed by something else.
ACT_AGREEMENT = (0.5, 1.1)
# Profiler names of the kernels a train step cannot do without: matmuls and fused attention.
MATMUL_KERNELS = ("aten::mm", "aten::bmm", "aten::addmm", "aten::baddbmm", "mkldnn::_linear_pointwise")
ATTENTION_KERNEL_PREFIX = "aten::_scaled_dot_product"

Step = Callable[[], None]


@dataclass
class BenchSettings:
    """What to measure and at which sizes (the defaults are the paper's Sudoku setting on CPU)."""

    device: str = "cpu"
    bf16: bool = False
    compile: bool = False
    other_precision: bool = False
    hidden_size: int = 512
    num_heads: int = 8
    num_layers: int = 2
    H_cycles: int = 3
    L_cycles: int = 6
    answer_length: int = 40
    max_question_length: int = 40
    vocab_size: int = 11
    batch_size: int = 64
    repeats: int = 5
    warmup: int = 1
    matmul_size: int = 4096
    memory_steps: int = 2
    config: str = TINY_CONFIG
    model: str | None = None
    train_steps: int | None = None
    eval_batch_size: int = 64
    max_eval_examples: int | None = None
    eval_skip_examples: int = 0
    puzzle_dataset: str | None = None
    halt_threshold: float | None = None
    quick: bool = False

    @property
    def sequence_length(self) -> int:
        """Positions per sequence: one summary slot, the answer slots, the question tokens."""
        return 1 + self.answer_length + self.max_question_length


def cpu_info() -> dict[str, str]:
    """The first processor's fields from the Linux cpuinfo table (empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields = {}
    for line in text.split("\n\n")[0].splitlines():
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def bf16_supported(device: str) -> bool:
    """Whether bf16 matmuls run natively: GPUs that say so, CPUs with AVX512-BF16 or AMX."""
    if device == "cuda":
        return torch.cuda.is_bf16_supported()
    flags = cpu_info().get("flags", "").split()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def describe_device(device: str) -> str:
    """One line naming the processor and the threads torch uses."""
    if device == "cuda":
        return f"{torch.cuda.get_device_name()} (CUDA {torch.version.cuda})"
    name = cpu_info().get("model name") or platform.processor() or "unknown CPU"
    capability = torch.backends.cpu.get_cpu_capability()
    return f"{name}, {torch.get_num_threads()} torch threads of {os.cpu_count()} cores, {capability}"


def precision_name(settings: BenchSettings) -> str:
    """`"bf16"` or `"fp32"`: the train steps' precision."""
    return "bf16" if settings.bf16 else "fp32"


def autocast(settings: BenchSettings) -> contextlib.AbstractContextManager:
    """bf16 autocast on the benchmark device, or nothing."""
    return torch.autocast(settings.device, dtype=torch.bfloat16, enabled=settings.bf16)


def timed(fn: Step, device: str) -> float:
    """Seconds one call of `fn` takes, with the device synchronised around it."""
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def time_interleaved(
    steps: dict[str, Step], repeats: int, warmup: int, device: str
) -> dict[str, list[float]]:
    """Time each step `repeats` times, round-robin, reversing the order every other round.

    Returns:
        `dict[str, list[float]]`: seconds per call, per contestant.
    """
    for step in steps.values():
        for _ in range(warmup):
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for repeat in range(repeats):
        order = list(steps) if repeat % 2 == 0 else list(reversed(steps))
        for name in order:
            times[name].append(timed(steps[name], device))
    return times


def dtype_name(dtype: torch.dtype) -> str:
    """`"float32"` for `torch.float32`, and so on."""
    return str(dtype).removeprefix("torch.")


def measure_matmul_peaks(size: int, device: str, repeats: int) -> dict[str, float]:
    """Best GFLOP/s of a `size`^3 matmul (2 * size^3 FLOPs) in fp32 and, where supported, bf16,
    timed interleaved after a warm-up; keys are dtype names."""
    dtypes = [torch.float32] + ([torch.bfloat16] if bf16_supported(device) else [])
    matmuls = {}
    for dtype in dtypes:
        a = torch.randn(size, size, device=device).to(dtype)
        b = torch.randn(size, size, device=device).to(dtype)
        matmuls[dtype_name(dtype)] = functools.partial(torch.matmul, a, b)
    times = time_interleaved(matmuls, repeats, 1, device)
    return {name: 2 * size**3 / min(seconds) / 1e9 for name, seconds in times.items()}


def matmul_ms(step: Step) -> float:
    """Milliseconds one call of `step` spends in matmul and fused-attention kernels (CPU profiler).

    Self times, so a matmul called from another op counts once; the kernels are long enough that
    the profiler's per-op overhead hardly touches them.
    """
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        step()
    kernels = [
        event
        for event in profile.key_averages()
        if event.key in MATMUL_KERNELS or event.key.startswith(ATTENTION_KERNEL_PREFIX)
    ]
    return sum(event.self_cpu_time_total for event in kernels) / 1000


def network_macs(config: TRMConfig, seq_len: int) -> int:
    """Multiply-accumulates of one application of the tiny network (all blocks) to one sequence.

    Per block, with S positions and width D: attention projections `4 S D^2` plus scores and their
    weighted sum `2 S^2 D` (or, for the MLP mixer, a SwiGLU over the sequence axis `3 D S I_S`), and
    the channel SwiGLU `3 S D I` (I = `config.intermediate_size`). Norms, RoPE, softmax and other
    elementwise work are not counted.
    """
    d, s = config.hidden_size, seq_len
    if config.mixer == "attention":
        mixer = 4 * s * d * d + 2 * s * s * d
    else:
        mixer = 3 * d * s * swiglu_width(config.expansion, s)
    return config.num_layers * (mixer + 3 * s * d * config.intermediate_size)


def useful_flops_per_train_step(config: TRMConfig, batch_size: int) -> float:
    """Useful FLOPs of one supervision step (forward, backward) of `TRMForMathQA`, counted analytically.

    With `net` = `network_macs` and `head` = answer_length * D * vocab (the LM head over the answer
    slots; the 1-wide halting head is negligible), and FLOPs = 2 * MACs:

        forward, all T cycles:   fwd_all  = 2 * B * (T * (n + 1) * net + head)
        forward, the last cycle: fwd_last = 2 * B * ((n + 1) * net + head)
        FLOPs = fwd_all + 2 * fwd_last

    Backward costs about twice its forward, and only the last cycle has one: the first T - 1 cycles
    run under `torch.no_grad()`. The optimizer step and the embeddings are not counted.
    """
    net = network_macs(config, config.sequence_length)
    head = config.answer_length * config.hidden_size * config.vocab_size
    updates = config.L_cycles + 1
    fwd_all = 2 * batch_size * (config.H_cycles * updates * net + head)
    fwd_last = 2 * batch_size * (updates * net + head)
    return float(fwd_all + 2 * fwd_last)


def trm_config(settings: BenchSettings, mixer: str) -> TRMConfig:
    """Our model's config at the benchmark sizes."""
    return TRMConfig(
        vocab_size=settings.vocab_size,
        hidden_size=settings.hidden_size,
        num_heads=settings.num_heads,
        num_layers=settings.num_layers,
        H_cycles=settings.H_cycles,
        L_cycles=settings.L_cycles,
        answer_length=settings.answer_length,
        max_question_length=settings.max_question_length,
        mixer=mixer,
    )


def adamw(model: torch.nn.Module) -> torch.optim.Optimizer:
    """The optimizer both sides train with."""
    return torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)


def ours_train_step(settings: BenchSettings, mixer: str) -> Step:
    """A train step of `TRMForMathQA` on random full-length questions, carrying the state across calls."""
    model = TRMForMathQA(trm_config(settings, mixer)).to(settings.device).train()
    forward = torch.compile(model) if settings.compile else model
    optimizer = adamw(model)
    shape = (settings.batch_size, settings.max_question_length)
    input_ids = torch.randint(1, settings.vocab_size, shape, device=settings.device)
    labels_shape = (settings.batch_size, settings.answer_length)
    labels = torch.randint(0, settings.vocab_size, labels_shape, device=settings.device)
    carry = None

    def step() -> None:
        nonlocal carry
        with autocast(settings):
            output = forward(input_ids, labels=labels, carry=carry)
        output.loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        carry = output.carry

    return step


def peer_network(settings: BenchSettings, mixer: str) -> torch.nn.Module:
    """The peer's tiny network at our sizes, from its own building blocks (ImportError when missing)."""
    if mixer == "attention":
        from x_transformers import Encoder

        return Encoder(
            dim=settings.hidden_size,
            depth=settings.num_layers,
            heads=settings.num_heads,
            attn_dim_head=settings.hidden_size // settings.num_heads,
        )
    from tiny_recursive_model import MLPMixer1D

    return MLPMixer1D(dim=settings.hidden_size, depth=settings.num_layers, seq_len=settings.sequence_length)


def peer_train_step(settings: BenchSettings, mixer: str) -> Step:
    """A train step of the peer's `TinyRecursiveModel` (one `forward` = one supervision step)."""
    from tiny_recursive_model import TinyRecursiveModel

    model = TinyRecursiveModel(
        dim=settings.hidden_size,
        num_tokens=settings.vocab_size,
        network=peer_network(settings, mixer),
        num_refinement_blocks=settings.H_cycles,
        num_latent_refinements=settings.L_cycles,
    ).to(settings.device)
    forward = torch.compile(model) if settings.compile else model
    optimizer = adamw(model)
    shape = (settings.batch_size, settings.sequence_length)
    seq = torch.randint(0, settings.vocab_size, shape, device=settings.device)
    labels = torch.randint(0, settings.vocab_size, shape, device=settings.device)
    y, z = model.get_initial()

    def step() -> None:
        nonlocal y, z
        with autocast(settings):
            loss, _, y, z, _, _ = forward(seq, y, z, labels=labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def build_train_step(name: str, settings: BenchSettings) -> Step:
    """The train step of contestant `name` (one of `TRAIN_CONTESTANTS`)."""
    side, mixer = name.split("_")
    return (ours_train_step if side == "ours" else peer_train_step)(settings, mixer)


def peer_version() -> str:
    """The installed peer's version."""
    try:
        return importlib.metadata.version(PEER_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "unknown version"


def build_available_steps(settings: BenchSettings) -> tuple[dict[str, Step], dict[str, str]]:
    """Train steps of every contestant that can be built, and why the others cannot."""
    steps, missing = {}, {}
    for name in TRAIN_CONTESTANTS:
        try:
            steps[name] = build_train_step(name, settings)
        except ImportError as error:
            if name.startswith("ours"):
                raise
            missing[name] = f"{PEER_PACKAGE} not importable ({error})"
    return steps, missing


def benchmark_train(settings: BenchSettings, matmul_gflops: float) -> dict:
    """Time every train-step contestant, interleaved, and relate ours to the peer and the matmul peak.

    Returns:
        `dict` with `contestants` (per name: `status`, `median_ms`, `examples_steps_per_s`, `times_ms`
        and, for ours, `useful_gflop_per_step`, `fraction_of_matmul_peak`,
        `speedup_vs_peer_same_mixer` and, on CPU, `matmul_ms` and `matmul_share`: its matmul and
        attention kernels' time in one profiled step and their share of the median),
        `speedup_vs_fastest_peer` (the fastest peer's median time over our fastest one's; None without
        a peer), on CPU `speedup_ceiling_vs_fastest_peer` (the fastest peer's median over our least
        matmul time: the speedup if everything else in our step were free) and
        `fraction_of_matmul_peak` (ours, attention); with `other_precision`, also `other_precision`
        (our steps in the other precision, interleaved with the rest, and `speedup_of_chosen`: their
        time over the chosen precision's).
    """
    steps, missing = build_available_steps(settings)
    other = replace(settings, bf16=not settings.bf16)
    other_names = {mixer: f"ours_{mixer}_{precision_name(other)}" for mixer in ("attention", "mlp")}
    if settings.other_precision:
        steps.update({name: ours_train_step(other, mixer) for mixer, name in other_names.items()})
    # A compiled step compiles again once the carry stops being the initial one.
    warmup = settings.warmup + (1 if settings.compile else 0)
    times = time_interleaved(steps, settings.repeats, warmup, settings.device)
    contestants: dict[str, dict] = {}
    for name in TRAIN_CONTESTANTS:
        if name in missing:
            contestants[name] = {"status": "missing", "reason": missing[name], "median_ms": None}
            continue
        median = statistics.median(times[name])
        contestants[name] = {
            "status": "measured",
            "median_ms": 1000 * median,
            "examples_steps_per_s": settings.batch_size / median,
            "times_ms": [1000 * t for t in times[name]],
        }
        if settings.device == "cpu" and name.startswith("ours"):
            contestants[name]["matmul_ms"] = matmul_ms(steps[name])
            contestants[name]["matmul_share"] = contestants[name]["matmul_ms"] / (1000 * median)
    for mixer in ("attention", "mlp"):
        ours, peer = contestants[f"ours_{mixer}"], contestants[f"peer_{mixer}"]
        flops = useful_flops_per_train_step(trm_config(settings, mixer), settings.batch_size)
        ours["useful_gflop_per_step"] = flops / 1e9
        ours["fraction_of_matmul_peak"] = flops / (ours["median_ms"] / 1000) / (matmul_gflops * 1e9)
        ours["speedup_vs_peer_same_mixer"] = (
            peer["median_ms"] / ours["median_ms"] if peer["median_ms"] else None
        )
    medians = {name: entry["median_ms"] for name, entry in contestants.items() if entry["median_ms"]}
    peers = [ms for name, ms in medians.items() if name.startswith("peer")]
    fastest_ours = min(ms for name, ms in medians.items() if name.startswith("ours"))
    report = {
        "contestants": contestants,
        "speedup_vs_fastest_peer": min(peers) / fastest_ours if peers else None,
        "fraction_of_matmul_peak": contestants["ours_attention"]["fraction_of_matmul_peak"],
    }
    if settings.device == "cpu":
        least_matmul = min(contestants[f"ours_{mixer}"]["matmul_ms"] for mixer in ("attention", "mlp"))
        report["speedup_ceiling_vs_fastest_peer"] = min(peers) / least_matmul if peers else None
    if settings.other_precision:
        report["other_precision"] = {"precision": precision_name(other)}
        for mixer, name in other_names.items():
            median = statistics.median(times[name])
            report["other_precision"][f"ours_{mixer}"] = {
                "median_ms": 1000 * median,
                "times_ms": [1000 * t for t in times[name]],
                "speedup_of_chosen": median / (contestants[f"ours_{mixer}"]["median_ms"] / 1000),
            }
    return report


def train_inference_model(settings: BenchSettings, output_dir: str) -> None:
    """Train a small model with `training/train.py`'s `main` from `settings.config` into `output_dir`."""
    argv = ["--config", settings.config, "--output_dir", output_dir, "--do_eval", "false"]
    argv += ["--disable_tqdm", "true"]
    if settings.train_steps is not None:
        argv += ["--max_steps", str(settings.train_steps), "--logging_steps", str(settings.train_steps)]
    train_main(argv)


def load_eval_batches(
    settings: BenchSettings,
) -> tuple[TRMPreTrainedModel, PreTrainedTokenizerBase | None, list[dict[str, torch.Tensor]]]:
    """The saved model `settings.model`, its tokenizer (`None` for a puzzle model) and the held-out
    set in batches: the config's held-out problems, or the test rows of `settings.puzzle_dataset`."""
    model_class = TRMForMathQA if settings.puzzle_dataset is None else TRMForPuzzles
    model = load_saved_model(settings.model, model_class).to(settings.device).eval()
    if settings.puzzle_dataset is not None:
        splits, metadata = load_puzzle_dataset(settings.puzzle_dataset)
        check_model_fits(model.config, metadata, settings.model, settings.puzzle_dataset)
        records = splits["test"]
        start, end = settings.eval_skip_examples, len(records)
        if not 0 <= start < end:
            raise ValueError(f"--eval_skip_examples {start}: the test split has {end} rows.")
        if settings.max_eval_examples is not None:
            end = min(end, start + settings.max_eval_examples)
        tokenizer, collator = None, collate_puzzles
        dataset = to_model_columns(records.select(range(start, end)))
    else:
        tokenizer = AutoTokenizer.from_pretrained(settings.model)
        check_tokenizer_matches(tokenizer, model.config, settings.model, settings.model)
        data_args = parse_arguments(["--config", settings.config])[1]
        data_args.max_eval_samples = settings.max_eval_examples
        data_args.skip_eval_samples = settings.eval_skip_examples
        dataset, collator, _ = build_eval_dataset(
            data_args.dataset,
            data_args,
            tokenizer,
            model.config.max_question_length,
            model.config.answer_length,
        )
    loader = DataLoader(dataset, batch_size=settings.eval_batch_size, collate_fn=collator)
    batches = [{key: value.to(settings.device) for key, value in batch.items()} for batch in loader]
    return model, tokenizer, batches


def check_inputs(settings: BenchSettings) -> None:
    """Refuse, before minutes of timing, what the inference part would refuse at its end: the config, the
    saved model and its tokenizer, the held-out data (and without `--model`, the data to train one on)."""
    if settings.model is not None:
        load_eval_batches(settings)
        return
    model_args, data_args, _ = parse_arguments(["--config", settings.config])
    tokenizer = AutoTokenizer.from_pretrained(model_args.tokenizer_name_or_path)
    build_math_datasets(data_args, tokenizer, model_args.max_question_length, model_args.answer_length)


def generate_pass(
    model: TRMPreTrainedModel, batches: list[dict[str, torch.Tensor]], use_act: bool, settings: BenchSettings
) -> tuple[torch.Tensor, torch.Tensor]:
    """Answer every batch with `generate`; returns the answer tokens and the steps each row ran."""
    sequences, num_steps = [], []
    with autocast(settings):
        for batch in batches:
            output = model.generate(
                **{key: value for key, value in batch.items() if key != "labels"},
                use_act=use_act,
                halt_threshold=settings.halt_threshold,
                return_dict_in_generate=True,
            )
            sequences.append(output.sequences.cpu())
            num_steps.append(output.num_steps.cpu())
    return torch.cat(sequences), torch.cat(num_steps)


def exact_score(
    sequences: torch.Tensor, labels: torch.Tensor, tokenizer: PreTrainedTokenizerBase | None
) -> tuple[str, float]:
    """The fraction of rows answered exactly, and its name: `string_exact_match` for math (the decoded
    answer is the reference string) or `exact_accuracy` for puzzles (every labelled cell right)."""
    if tokenizer is None:
        return "exact_accuracy", grid_scores(sequences, labels)["exact_accuracy"]
    predictions, references = decode_answers(tokenizer, sequences), decode_answers(tokenizer, labels)
    return "string_exact_match", float(string_exact_matches(predictions, references).mean())


def benchmark_inference(settings: BenchSettings) -> dict:
    """Time `generate` with ACT against all N_sup steps (interleaved) and compare their exact match.

    On a shared machine other work only ever slows a pass down, so throughput comes from the best of
    at least `MIN_INFERENCE_REPEATS` repeats, and the spread (slowest over fastest) is reported. Halted
    rows leave the batch, so ACT can save at most the steps it skips: `act_speedup_from_steps` (all
    steps' mean steps over ACT's) bounds `act_speedup`, less the embedding and halting checks. A
    measured speedup outside `ACT_AGREEMENT` times that bound is flagged (`act_speedup_agrees` false):
    the timing was disturbed, not a result.

    Returns:
        `dict` with `num_examples`, `max_supervision_steps`, `halt_threshold`, `score` (the name of the
        exact match scored: `string_exact_match` for math, `exact_accuracy` for puzzles, see
        `exact_score`), per mode (`act`, `all_steps`) `best_s`, `median_s`, `spread`, `times_s`,
        `examples_per_s` (from the best), `mean_steps` and that score, and `act_speedup` (ACT
        examples/s over all-steps examples/s), `act_speedup_from_steps`, `act_speedup_agrees` and
        `accuracy_delta` (the ACT score minus the all-steps score).
    """
    model, tokenizer, batches = load_eval_batches(settings)
    labels = torch.cat([batch["labels"].cpu() for batch in batches])
    passes = {
        mode: functools.partial(generate_pass, model, batches, use_act, settings)
        for mode, use_act in GENERATE_MODES.items()
    }
    repeats = max(settings.repeats, MIN_INFERENCE_REPEATS)
    times = time_interleaved(passes, repeats, settings.warmup, settings.device)
    results: dict = {
        "num_examples": len(labels),
        "max_supervision_steps": model.config.max_supervision_steps,
        "halt_threshold": model.config.halt_threshold
        if settings.halt_threshold is None
        else settings.halt_threshold,
    }
    for mode, run in passes.items():
        sequences, num_steps = run()
        best = min(times[mode])
        score, value = exact_score(sequences, labels, tokenizer)
        results["score"] = score
        results[mode] = {
            "best_s": best,
            "median_s": statistics.median(times[mode]),
            "spread": max(times[mode]) / best,
            "times_s": times[mode],
            "examples_per_s": len(labels) / best,
            "mean_steps": num_steps.float().mean().item(),
            score: value,
        }
    results["act_speedup"] = results["act"]["examples_per_s"] / results["all_steps"]["examples_per_s"]
    results["act_speedup_from_steps"] = results["all_steps"]["mean_steps"] / results["act"]["mean_steps"]
    low, high = ACT_AGREEMENT
    ratio = results["act_speedup"] / results["act_speedup_from_steps"]
    results["act_speedup_agrees"] = low <= ratio <= high
    score = results["score"]
    results["accuracy_delta"] = results["act"][score] - results["all_steps"][score]
    return results


def build_workload(name: str, settings: BenchSettings) -> Step:
    """A train step (`TRAIN_CONTESTANTS`) or one `generate` pass over the held-out set (`GENERATE_MODES`)."""
    if name in TRAIN_CONTESTANTS:
        return build_train_step(name, settings)
    model, _, batches = load_eval_batches(settings)
    return functools.partial(generate_pass, model, batches, GENERATE_MODES[name], settings)


def reset_peak_rss() -> bool:
    """Lower the kernel's peak-RSS mark to the current RSS (Linux 4.0+); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    """The process's peak resident set: `VmHWM` on Linux (what `reset_peak_rss` lowers), else getrusage's.

    getrusage's max RSS also keeps the peak of threads that have exited, so it cannot be reset.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024  # kB


def memory_probe(name: str, settings: BenchSettings) -> dict:
    """Peak memory of `settings.memory_steps` calls of workload `name`, in this (fresh) process.

    Returns:
        `dict` with `metric` (what was read), `peak_mib` (the peak while the workload ran) and
        `delta_mib` (that peak minus the memory in use once the model and data were built).
    """
    workload = build_workload(name, settings)
    if settings.device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        for _ in range(settings.memory_steps):
            workload()
        peak = torch.cuda.max_memory_allocated()
        metric = "torch.cuda.max_memory_allocated"
    else:
        # Without the reset, the peak of importing and building would hide a smaller workload's.
        reset = reset_peak_rss()
        before = peak_rss_bytes()
        for _ in range(settings.memory_steps):
            workload()
        peak = peak_rss_bytes()
        metric = "peak RSS (VmHWM), reset after building" if reset else "peak RSS since process start"
    return {"metric": metric, "peak_mib": peak / 2**20, "delta_mib": (peak - before) / 2**20}


def measure_memory(names: list[str], settings: BenchSettings) -> dict[str, dict]:
    """Run `memory_probe` for each workload in its own subprocess, so that no peak leaks into another."""
    results = {}
    for name in names:
        command = [
            sys.executable,
            __file__,
            "--memory_probe",
            name,
            "--settings",
            json.dumps(asdict(settings)),
        ]
        completed = subprocess.run(command, check=True, capture_output=True, text=True)
        results[name] = json.loads(completed.stdout.strip().splitlines()[-1])
    return results


@contextlib.contextmanager
def inference_model(settings: BenchSettings) -> Iterator[tuple[BenchSettings, str]]:
    """Settings pointing at a saved model (`--model`, or one trained now into a temporary folder)."""
    if settings.model is not None:
        yield settings, settings.model
        return
    with tempfile.TemporaryDirectory() as output_dir:
        train_inference_model(settings, output_dir)
        steps = settings.train_steps or "the config's"
        yield replace(settings, model=output_dir), f"trained now: {Path(settings.config).name}, {steps} steps"


def run_benchmark(settings: BenchSettings) -> dict:
    """Every measurement of the module docstring; returns the report written as JSON."""
    dtype = dtype_name(torch.bfloat16 if settings.bf16 else torch.float32)
    peaks = measure_matmul_peaks(settings.matmul_size, settings.device, settings.repeats)
    fastest = max(peaks, key=peaks.get)
    train = benchmark_train(settings, peaks[fastest])
    measured = [name for name, entry in train["contestants"].items() if entry["status"] == "measured"]
    for name, memory in measure_memory(measured, settings).items():
        train["contestants"][name]["memory"] = memory
    with inference_model(settings) as (model_settings, source):
        inference = {"model": source, **benchmark_inference(model_settings)}
        inference["memory"] = measure_memory(list(GENERATE_MODES), model_settings)
    return {
        "device": describe_device(settings.device),
        "torch_version": torch.__version__,
        "peer": peer_version() if any(name.startswith("peer") for name in measured) else "missing",
        "settings": {**asdict(settings), "sequence_length": settings.sequence_length},
        "matmul_peak": {
            "size": settings.matmul_size,
            "train_dtype": dtype,
            "dtype": fastest,
            "gflops": peaks[fastest],
            "gflops_by_dtype": peaks,
        },
        "train_step": train,
        "inference": inference,
    }


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def held_out_name(settings: dict) -> str:
    """What the inference part answered, in words."""
    rows = f"(held-out rows from {settings['eval_skip_examples']})"
    if settings["puzzle_dataset"] is None:
        return f"problems of {Path(settings['config']).name} {rows}"
    return f"puzzles of {settings['puzzle_dataset']} {rows}"


def format_report(report: dict) -> str:
    """The report as a plain-text table."""
    s, peak = report["settings"], report["matmul_peak"]
    precision = "bf16 autocast" if s["bf16"] else "fp32"
    lines = [
        f"device: {report['device']}; torch {report['torch_version']}; {precision}"
        + ("; torch.compile" if s["compile"] else ""),
        f"peer {PEER_PACKAGE}: {report['peer']}",
        f"train step = one supervision step (forward + backward + AdamW): hidden {s['hidden_size']}, "
        f"{s['num_heads']} heads, {s['num_layers']} layers, T={s['H_cycles']}, n={s['L_cycles']}, "
        f"vocab {s['vocab_size']}, batch {s['batch_size']}" + (" (--quick)" if s["quick"] else ""),
        f"sequence {s['sequence_length']} = 1 summary + {s['answer_length']} answer slots + "
        f"{s['max_question_length']} question tokens (ours); {s['sequence_length']} tokens (peer); "
        f"medians of {s['repeats']} interleaved repeats",
        f"matmul peak: {peak['size']}^3 "
        + ", ".join(f"{name} {gflops:.1f}" for name, gflops in peak["gflops_by_dtype"].items())
        + f" GFLOP/s (best of the repeats); 'of peak' below is of {peak['dtype']}, the faster; "
        f"the train steps run in {peak['train_dtype']}",
        "",
        f"{'contestant':<16} {'ms/step':>10} {'matmul ms':>10} {'ex*steps/s':>11} {'useful GFLOP':>13} "
        f"{'of peak':>8} {'vs peer':>8} {'peak MiB':>9} {'+MiB':>8}",
    ]
    for name, entry in report["train_step"]["contestants"].items():
        if entry["status"] != "measured":
            lines.append(f"{name:<16} {'missing':>10}")
            continue
        memory = entry["memory"]
        lines.append(
            f"{name:<16} {entry['median_ms']:>10.1f} {_number(entry.get('matmul_ms'), '.1f'):>10} "
            f"{entry['examples_steps_per_s']:>11.2f} "
            f"{_number(entry.get('useful_gflop_per_step'), '.1f'):>13} "
            f"{_number(entry.get('fraction_of_matmul_peak'), '.1%'):>8} "
            f"{_number(entry.get('speedup_vs_peer_same_mixer'), '.2f'):>8} "
            f"{memory['peak_mib']:>9.0f} {memory['delta_mib']:>8.0f}"
        )
    train = report["train_step"]
    lines += [
        f"speedup vs fastest peer: {_number(train['speedup_vs_fastest_peer'], '.2f')}; "
        f"fraction of matmul peak (ours, attention): {train['fraction_of_matmul_peak']:.1%}",
        "matmul ms = the step's matmul and attention kernels (one profiled step); ceiling vs fastest peer "
        "if everything else in our step were free: "
        f"{_number(train.get('speedup_ceiling_vs_fastest_peer'), '.2f')}",
        "vs peer = the peer's ms/step over ours, same mixer (> 1: ours faster); the peer's networks are "
        "its own (x-transformers Encoder, MLPMixer1D), so equal sizes, not equal FLOPs; useful GFLOP "
        "counted for ours only",
    ]
    if "other_precision" in train:
        other = train["other_precision"]
        lines.append(
            f"ours in {other['precision']} (same run): "
            + "; ".join(
                f"{mixer} {other[f'ours_{mixer}']['median_ms']:.1f} ms/step, "
                f"chosen precision {other[f'ours_{mixer}']['speedup_of_chosen']:.2f}x faster"
                for mixer in ("attention", "mlp")
            )
        )
    inference = report["inference"]
    lines += [
        "",
        f"inference: generate on {inference['num_examples']} held-out {held_out_name(s)}, "
        f"N_sup={inference['max_supervision_steps']}, halt_threshold {inference['halt_threshold']}, "
        f"model {inference['model']}",
        f"{'mode':<16} {'examples/s':>10} {'spread':>7} {'mean steps':>11} {inference['score']:>18} "
        f"{'peak MiB':>9} {'+MiB':>8}",
    ]
    for mode in GENERATE_MODES:
        entry, memory = inference[mode], inference["memory"][mode]
        lines.append(
            f"{mode:<16} {entry['examples_per_s']:>10.1f} {entry['spread']:>6.2f}x "
            f"{entry['mean_steps']:>11.2f} {entry[inference['score']]:>18.3f} "
            f"{memory['peak_mib']:>9.0f} {memory['delta_mib']:>8.0f}"
        )
    verdict = "agrees with" if inference["act_speedup_agrees"] else "DISAGREES with (timing disturbed; rerun)"
    lines += [
        "examples/s from the best of the interleaved repeats; spread = slowest over fastest",
        f"act_speedup {inference['act_speedup']:.2f}x, which {verdict} the "
        f"{inference['act_speedup_from_steps']:.2f}x its saved steps allow; "
        f"accuracy_delta {inference['accuracy_delta']:+.3f}",
        f"memory: {inference['memory']['act']['metric']}, in a fresh process per contestant; "
        "+MiB is the peak's growth over the built model and data",
    ]
    return "\n".join(lines)


def settings_from_args(args: argparse.Namespace) -> BenchSettings:
    """Benchmark settings from the command line (`--quick` shrinks batch, repeats, matmul, training)."""
    sizes = {"batch_size": 64 if args.device == "cpu" else 768}
    if args.quick:
        sizes = {"batch_size": 8, "repeats": 3, "matmul_size": 2048, "train_steps": 300, "quick": True}
    if args.repeats is not None:
        sizes["repeats"] = args.repeats
    if args.batch_size is not None:
        sizes["batch_size"] = args.batch_size
    bf16 = bf16_is_faster(args.device) if args.bf16 is None else args.bf16
    return BenchSettings(
        device=args.device,
        bf16=bf16,
        compile=args.compile,
        other_precision=args.other_precision,
        model=args.model,
        config=args.config,
        puzzle_dataset=args.puzzle_dataset,
        eval_skip_examples=args.eval_skip_examples,
        max_eval_examples=args.max_eval_examples,
        halt_threshold=args.halt_threshold,
        **sizes,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line of the module docstring."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="CI size: batch 8, 3 repeats, 2048^3 matmul.")
    parser.add_argument("--json", help="Also write the report to this JSON file.")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        help="bf16 autocast; default: where it beats fp32 (bf16 GPUs, AMX CPUs).",
    )
    parser.add_argument("--compile", action="store_true", help="torch.compile both sides' train steps.")
    parser.add_argument(
        "--other_precision",
        action="store_true",
        help="Also time our train steps in the other precision (bf16 or fp32), interleaved.",
    )
    parser.add_argument(
        "--model", help="Saved TRM math model for the inference part; default: train one now."
    )
    parser.add_argument(
        "--config",
        default=TINY_CONFIG,
        help="Training YAML: its held-out set, and how to train the default model.",
    )
    parser.add_argument(
        "--puzzle_dataset",
        help="Puzzle dataset folder: answer its test split with `--model` (a TRMForPuzzles) instead.",
    )
    parser.add_argument("--eval_skip_examples", type=int, default=0, help="Skip this many held-out rows.")
    parser.add_argument("--max_eval_examples", type=int, help="Answer at most this many held-out rows.")
    parser.add_argument(
        "--halt_threshold", type=float, help="ACT halting-logit threshold; default: the model config's."
    )
    parser.add_argument("--repeats", type=int, help="Timed repeats per contestant.")
    parser.add_argument("--batch_size", type=int, help="Train-step batch size.")
    parser.add_argument("--memory_probe", help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda, but no CUDA device is available.")
    if args.puzzle_dataset and not args.model:
        parser.error("--puzzle_dataset needs --model, a saved TRMForPuzzles trained on that dataset.")
    if args.puzzle_dataset and not Path(args.puzzle_dataset).is_dir():
        parser.error(f"--puzzle_dataset {args.puzzle_dataset}: no such folder.")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.memory_probe:
        print(json.dumps(memory_probe(args.memory_probe, BenchSettings(**json.loads(args.settings)))))
        return
    settings = settings_from_args(args)
    check_inputs(settings)
    report = run_benchmark(settings)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    print(format_report(report))


if __name__ == "__main__":
    main()
