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
import json
from dataclasses import asdict
from pathlib import Path

import torch

# examples/benchmarking: this script's folder is first on `sys.path`
from benchmarking.inference import benchmark_inference, check_inputs, inference_model
from benchmarking.memory import measure_memory, memory_probe
from benchmarking.report import format_report
from benchmarking.settings import GENERATE_MODES, TINY_CONFIG, BenchSettings, describe_device, dtype_name
from benchmarking.timing import measure_matmul_peaks
from benchmarking.train_steps import benchmark_train, peer_version

from training.precision import bf16_is_faster


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
