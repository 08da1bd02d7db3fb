"""One prepared run of about 9 minutes on one CUDA GPU: the speed benchmark, then the paper's
Sudoku-Extreme model trained against the clock.

    python examples/gpu_speed_run.py --out DIR [--sudoku_dir DATA] [--tdoku_dir TDOKU]
    python examples/gpu_speed_run.py --out DIR --device cpu --tiny    # every step at toy sizes (the test)

Run it from the repository root. Steps, each timed into DIR/gpu_speed_run.json (rewritten after
every step):

1. Sudoku-Extreme data, unless `--sudoku_dir` (default `data/sudoku-extreme-1k-aug-1000`, the
   config's) holds it: the paper's 1,000 training puzzles x 1,000 augmentations and 1,000 test
   puzzles, built by `python -m training.data.puzzles.build sudoku` from the tdoku files
   (`--tdoku_dir`, default the builder's) in about 25 s on a busy 2-core CPU. It stays out of DIR:
   its 290 MB rebuild identically from seed 0.
2. The benchmark's math model: `training/configs/tiny.yaml` (two-digit addition) trained on the GPU
   into DIR/math_model, until 98 % validation exact match (about 800 steps), at most 2,500 steps.
3. `python examples/benchmark.py --device cuda --compile --model DIR/math_model --config
   training/configs/tiny.yaml --batch_size 768 --repeats 5 --json DIR/benchmark.json`, run in this
   process: its GPU defaults. The repeats take seconds; the time goes into compiling (each of our
   two train steps compiles twice, and again in its memory probe; the peer's too where it is
   installed): about 3 minutes is an estimate, not a measurement. A failure here is recorded, the
   run goes on, and the script exits with status 1 at the end.
4. The paper's model (`training/configs/sudoku_extreme.yaml`: TRM-MLP hidden 512, T=3, n=6,
   N_sup=16, batch 768, bf16, the paper's warm-up of 2,000 steps) with `--torch_compile true`, for
   `--train_minutes` (5) of training (`--max_train_minutes`: the evaluations are not counted, the
   compilation in the first step is), or less where steps 1-3 left less of `--total_minutes` (9)
   than that plus 1.5 minutes for the evaluations, the final evaluation and saving. Every
   `--eval_steps` (250) optimizer steps and at the stop: exact accuracy (every cell right) on the
   first 1,000 test puzzles, all 16 supervision steps (the paper's protocol), with the EMA weights,
   its fp32 matmuls in TF32. Into DIR/sudoku_extreme, the weights saved again in files of at most
   16 MB.
5. The table "training minutes, optimizer steps, exact accuracy" (with token accuracy and each
   evaluation's seconds), printed and written to DIR/sudoku_speed.json with the training totals.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import benchmark  # examples/benchmark.py: this script's folder is first on `sys.path`
import torch
import transformers
from transformers.utils import SAFE_WEIGHTS_NAME

from modeling_trm import TRMForPuzzles
from modeling_trm.loading import load_saved_model
from training.data.puzzles.build import main as build_puzzles
from training.data.puzzles.common import PuzzleMetadata
from training.train import main as train_math
from training.train_puzzles import main as train_puzzles

REPO = Path(__file__).resolve().parents[1]
MATH_CONFIG = str(REPO / "training" / "configs" / "tiny.yaml")
SUDOKU_CONFIG = str(REPO / "training" / "configs" / "sudoku_extreme.yaml")
DEFAULT_SUDOKU_DIR = "data/sudoku-extreme-1k-aug-1000"
RUN_LOG = "gpu_speed_run.json"
MAX_SHARD_SIZE = "16MB"
# Minutes kept back from `--total_minutes` after the training budget: the evaluations during
# training (an estimated 3 s each at the paper's sizes), the final evaluation and saving.
RESERVE_MINUTES = 1.5
MIN_TRAIN_MINUTES = 1.0


@dataclass(frozen=True)
class Sizes:
    """How big each step of the run is."""

    sudoku_data: list[str]  # options of `python -m training.data.puzzles.build sudoku`
    math_model: list[str]  # overrides of training/configs/tiny.yaml
    benchmark: dict[str, int]  # `BenchSettings` fields replaced
    sudoku_model: list[str]  # overrides of training/configs/sudoku_extreme.yaml
    train_minutes: float
    eval_steps: int
    max_eval_samples: int


PAPER = Sizes(
    sudoku_data=["--num_aug", "1000"],
    math_model=[],
    benchmark={},
    sudoku_model=[],
    train_minutes=5.0,
    eval_steps=250,
    max_eval_samples=1000,
)
TINY = Sizes(
    sudoku_data=["--grid_size", "4", "--num_train", "8", "--num_aug", "2", "--num_test", "8"]
    + ["--extra_clues", "1"],
    math_model=["--hidden_size", "32", "--num_train_examples", "64", "--num_eval_examples", "16"]
    + ["--max_steps", "4", "--eval_steps", "2", "--logging_steps", "2"],
    benchmark=dict(
        hidden_size=64,
        num_heads=4,
        H_cycles=2,
        L_cycles=2,
        answer_length=8,
        max_question_length=8,
        batch_size=4,
        repeats=2,
        matmul_size=128,
        memory_steps=1,
        max_eval_examples=16,
    ),
    sudoku_model=["--hidden_size", "32", "--num_heads", "4", "--H_cycles", "1", "--L_cycles", "1"]
    + ["--halt_max_steps", "2", "--puzzle_emb_len", "1", "--warmup_steps", "2", "--logging_steps", "10"]
    + ["--per_device_train_batch_size", "8", "--per_device_eval_batch_size", "8"],
    train_minutes=0.05,
    eval_steps=20,
    max_eval_samples=8,
)


def command(program: str, argv: list[str]) -> str:
    """The shell command that runs `program` with `argv`."""
    return " ".join([program, *argv])


@dataclass
class RunLog:
    """DIR/gpu_speed_run.json: what each step ran, for how long, and its error if it failed."""

    path: Path
    record: dict[str, Any]
    start: float = field(default_factory=time.perf_counter)
    failed: bool = False

    def minutes(self) -> float:
        """Minutes since the run started."""
        return (time.perf_counter() - self.start) / 60

    def write(self) -> None:
        self.path.write_text(json.dumps(self.record, indent=2))

    @contextlib.contextmanager
    def step(self, name: str, commands: list[str], keep_going: bool = False) -> Iterator[None]:
        """Time the block as step `name`; with `keep_going`, record its error and carry on."""
        entry = self.record["steps"][name] = {"commands": commands}
        start = time.perf_counter()
        print(f"\n=== {name} (at {self.minutes():.1f} min) ===", flush=True)
        try:
            yield
        except Exception:
            if not keep_going:
                raise
            self.failed = True
            entry["error"] = traceback.format_exc()
            traceback.print_exc()
        finally:
            entry["seconds"] = time.perf_counter() - start
            self.write()


def build_sudoku_data(sudoku_dir: Path, argv: list[str]) -> None:
    """Build the Sudoku dataset into `sudoku_dir` with the builder's `argv`, unless it is there."""
    if (sudoku_dir / "metadata.json").is_file():
        print(f"{sudoku_dir}: already built, not rebuilt.")
        return
    build_puzzles(argv)
    transformers.logging.set_verbosity_warning()  # the builder turned info logs on


def run_benchmark(argv: list[str], replacements: dict[str, int]) -> None:
    """What `python examples/benchmark.py ARGV` does, with its settings' `replacements` (for `--tiny`)."""
    args = benchmark.parse_args(argv)
    settings = replace(benchmark.settings_from_args(args), **replacements)
    benchmark.check_inputs(settings)
    report = benchmark.run_benchmark(settings)
    Path(args.json).write_text(json.dumps(report, indent=2))
    print(benchmark.format_report(report))


def release_device_memory() -> None:
    """Drop what the benchmark left behind: compiled graphs and cached GPU memory."""
    gc.collect()
    torch.compiler.reset()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def training_budget(train_minutes: float, total_minutes: float, elapsed_minutes: float) -> float:
    """`train_minutes`, or less where the run so far left less of `total_minutes` than that plus
    `RESERVE_MINUTES` (never under `MIN_TRAIN_MINUTES` for that reason)."""
    left = total_minutes - elapsed_minutes - RESERVE_MINUTES
    return min(train_minutes, max(left, MIN_TRAIN_MINUTES))


def shard_weights(model_dir: Path) -> None:
    """Save the trained weights again in files of at most `MAX_SHARD_SIZE` (the Trainer writes one)."""
    model = load_saved_model(model_dir, TRMForPuzzles)
    (model_dir / SAFE_WEIGHTS_NAME).unlink()
    model.save_pretrained(model_dir, max_shard_size=MAX_SHARD_SIZE)


def speed_table(model_dir: Path) -> list[dict[str, float]]:
    """One row per evaluation during training, from the Trainer's log: training minutes (evaluations
    not counted), optimizer steps, exact and token accuracy, and the evaluation's own seconds."""
    history = json.loads((model_dir / "trainer_state.json").read_text())["log_history"]
    return [
        {
            "train_minutes": entry["train_minutes"],
            "step": entry["step"],
            "exact_accuracy": entry["eval_exact_accuracy"],
            "token_accuracy": entry["eval_token_accuracy"],
            "eval_seconds": entry["eval_runtime"],
        }
        for entry in history
        if "eval_exact_accuracy" in entry and "train_minutes" in entry
    ]


def format_table(rows: list[dict[str, float]]) -> str:
    """The speed table as plain text."""
    lines = ["train min | opt. steps | exact acc. | token acc. | eval s"]
    for row in rows:
        lines.append(
            f"{row['train_minutes']:9.2f} | {row['step']:10,d} | {100 * row['exact_accuracy']:8.1f} % "
            f"| {100 * row['token_accuracy']:8.1f} % | {row['eval_seconds']:6.1f}"
        )
    return "\n".join(lines)


def sudoku_report(
    model_dir: Path, sudoku_dir: Path, argv: list[str], budget: float, sizes: Sizes, device: str
) -> dict[str, Any]:
    """DIR/sudoku_speed.json: the table, the training totals and what was trained on."""
    metadata = PuzzleMetadata.load(sudoku_dir)
    return {
        "device": benchmark.describe_device(device),
        "torch_version": torch.__version__,
        "command": command("python training/train_puzzles.py", argv),
        "dataset": {"config": metadata.config, "num_examples": metadata.num_examples},
        "train_minutes_budget": budget,
        "evaluation": {
            "num_puzzles": min(sizes.max_eval_samples, metadata.num_examples["test"]),
            "every_steps": sizes.eval_steps,
            "protocol": "all N_sup supervision steps (no ACT), EMA weights; exact = every cell right",
        },
        "rows": speed_table(model_dir),
        "train_metrics": json.loads((model_dir / "train_results.json").read_text()),
        "final_eval": json.loads((model_dir / "eval_results.json").read_text()),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line of the module docstring; refuses a run without a CUDA device unless `--tiny`."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", required=True, help="Folder for everything the run writes.")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--tiny", action="store_true", help="Toy sizes for every step (a test on CPU).")
    parser.add_argument(
        "--sudoku_dir", help=f"Built Sudoku dataset (built when absent); default {DEFAULT_SUDOKU_DIR}."
    )
    parser.add_argument(
        "--tdoku_dir", help="Folder of the tdoku files to build from; default: the builder's."
    )
    parser.add_argument(
        "--train_minutes", type=float, help="Sudoku training budget; default 5 (--tiny: 0.05)."
    )
    parser.add_argument("--total_minutes", type=float, default=9.0, help="Budget of the whole run.")
    parser.add_argument("--eval_steps", type=int, help="Evaluate every this many steps; default 250.")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("no CUDA device: this run needs one GPU (`--device cpu --tiny` runs it at toy sizes).")
    if args.device == "cpu" and not args.tiny:
        parser.error("--device cpu needs --tiny: at the paper's sizes a CPU takes hours.")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = TINY if args.tiny else PAPER
    sizes = replace(
        sizes,
        train_minutes=args.train_minutes or sizes.train_minutes,
        eval_steps=args.eval_steps or sizes.eval_steps,
    )
    on_gpu = args.device == "cuda"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sudoku_dir = Path(args.sudoku_dir or (out / "sudoku4" if args.tiny else DEFAULT_SUDOKU_DIR))
    math_dir, model_dir = out / "math_model", out / "sudoku_extreme"
    log = RunLog(
        out / RUN_LOG,
        {"device": benchmark.describe_device(args.device), "arguments": vars(args), "steps": {}},
    )

    data_argv = ["sudoku", "--out", str(sudoku_dir), *sizes.sudoku_data]
    data_argv += ["--data_dir", args.tdoku_dir] if args.tdoku_dir else []
    with log.step("sudoku_data", [command("python -m training.data.puzzles.build", data_argv)]):
        build_sudoku_data(sudoku_dir, data_argv)

    math_argv = ["--config", MATH_CONFIG, "--output_dir", str(math_dir), "--disable_tqdm", "true"]
    math_argv += [*sizes.math_model, *(["--use_cpu", "false"] if on_gpu else [])]
    bench_argv = ["--device", args.device, "--model", str(math_dir), "--config", MATH_CONFIG]
    bench_argv += ["--batch_size", "768", "--repeats", "5", "--json", str(out / "benchmark.json")]
    bench_argv += ["--compile"] if on_gpu else []
    commands = [
        command("python training/train.py", math_argv),
        command("python examples/benchmark.py", bench_argv),
    ]
    with log.step("benchmark", commands, keep_going=True):
        train_math(math_argv)
        run_benchmark(bench_argv, sizes.benchmark)
    release_device_memory()

    budget = training_budget(sizes.train_minutes, args.total_minutes, log.minutes())
    sudoku_argv = [
        "--config",
        SUDOKU_CONFIG,
        "--dataset_dir",
        str(sudoku_dir),
        "--output_dir",
        str(model_dir),
    ]
    sudoku_argv += ["--max_train_minutes", f"{budget:.3f}", "--eval_strategy", "steps"]
    sudoku_argv += ["--eval_steps", str(sizes.eval_steps), "--max_eval_samples", str(sizes.max_eval_samples)]
    sudoku_argv += ["--save_strategy", "no", "--disable_tqdm", "true", *sizes.sudoku_model]
    sudoku_argv += ["--torch_compile", "true", "--tf32", "true"] if on_gpu else ["--use_cpu", "true"]
    with log.step("sudoku_training", [command("python training/train_puzzles.py", sudoku_argv)]):
        train_puzzles(sudoku_argv)
        shard_weights(model_dir)
        report = sudoku_report(model_dir, sudoku_dir, sudoku_argv, budget, sizes, args.device)
        (out / "sudoku_speed.json").write_text(json.dumps(report, indent=2))
    metrics, grid = report["train_metrics"], report["dataset"]["config"]["grid_size"]
    print(
        f"\nSudoku {grid}x{grid}, exact accuracy on {report['evaluation']['num_puzzles']:,} test puzzles; "
        f"{metrics['train_minutes']:.2f} min of training ({metrics['global_step']:,} optimizer steps) "
        f"and {metrics['eval_minutes']:.2f} min of evaluations; {log.minutes():.1f} min in all:"
    )
    print(format_table(report["rows"]))
    if log.failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
