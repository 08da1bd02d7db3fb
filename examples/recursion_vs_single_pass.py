"""Recursion vs a single-pass transformer of the same size, plus the TRM ablations, in one command.

    python examples/recursion_vs_single_pass.py --config training/configs/generator.yaml \
        --out runs/experiment [--seeds 0 1] [--max_steps 1500] [--variants trm single_pass ...]

Every variant trains with `training/train.py` on the same data, for the same number of optimizer
steps, then `training/evaluate_model.py` scores it on the held-out set. Prints a Markdown table and
writes `results.json` in `--out`. Finished runs are reused, so an interrupted experiment resumes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Each variant is a set of command-line overrides of the base config.
VARIANTS: dict[str, list[str]] = {
    "trm": [],
    "single_pass": ["--single_pass", "true"],
    # TRM keeps an example for up to N_sup = 4 steps, so in 800 steps its 64 slots see about 13k
    # examples; the single-pass twin sees that many in 200 steps.
    "single_pass_equal_examples": ["--single_pass", "true", "--max_steps", "200"],
    "trm_T2_n2": ["--H_cycles", "2", "--L_cycles", "2"],
    "trm_T3_n6": ["--H_cycles", "3", "--L_cycles", "6"],
    "trm_no_ema": ["--ema_decay", "0"],
    "trm_4layers_n3": ["--num_layers", "4", "--L_cycles", "3"],
}


def run(command: list[str]) -> None:
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=REPO)


def train_and_evaluate(config: str, variant: str, seed: int, out: Path, extra: list[str]) -> dict:
    """Train one variant with one seed (unless already done) and return its evaluation results."""
    run_dir = out / f"{variant}_seed{seed}"
    results_path = run_dir / "eval" / "eval_results.json"
    if not results_path.exists():
        run(
            [
                sys.executable,
                "training/train.py",
                "--config",
                config,
                "--output_dir",
                str(run_dir),
                "--seed",
                str(seed),
                *VARIANTS[variant],
                *extra,
            ]
        )
        run(
            [
                sys.executable,
                "-m",
                "training.evaluate_model",
                "--model",
                str(run_dir),
                "--config",
                config,
                "--out",
                str(run_dir / "eval"),
            ]
        )
    return json.loads(results_path.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default="training/configs/generator.yaml")
    parser.add_argument("--out", default="runs/experiment")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--ablation_seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--max_steps", type=int, default=None, help="Override the config's max_steps.")
    args = parser.parse_args()
    out = Path(args.out)
    extra = ["--max_steps", str(args.max_steps)] if args.max_steps else []

    table = {}
    for variant in args.variants:
        seeds = args.seeds if variant in ("trm", "single_pass") else args.ablation_seeds
        runs = [train_and_evaluate(args.config, variant, seed, out, extra) for seed in seeds]
        evaluations = [r["evaluations"][0]["results"] for r in runs]
        table[variant] = {
            "seeds": seeds,
            "parameters": runs[0]["evaluations"][0]["num_parameters"],
            "exact_match": [e["exact_match"] for e in evaluations],
            "accuracy": [e["accuracy"] for e in evaluations],
            "mean_halt_steps": [e["mean_halt_steps"] for e in evaluations],
            "accuracy_per_step": [e["accuracy_per_step"] for e in evaluations],
        }

    baseline = statistics.mean(table["single_pass"]["accuracy"]) if "single_pass" in table else None
    lines = [
        "| variant | params | seeds | held-out accuracy (mean) | per seed | vs single pass | ACT steps |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant, row in table.items():
        mean = statistics.mean(row["accuracy"])
        ratio = f"{mean / baseline:.2f}×" if baseline else "n/a"
        per_seed = ", ".join(f"{100 * a:.1f}" for a in row["accuracy"])
        halt = statistics.mean(row["mean_halt_steps"])
        lines.append(
            f"| {variant} | {row['parameters'] / 1e6:.2f}M | {len(row['seeds'])} | {100 * mean:.1f} % "
            f"| {per_seed} | {ratio} | {halt:.1f} |"
        )
    if "trm" in table:
        curve = [statistics.mean(step) for step in zip(*table["trm"]["accuracy_per_step"], strict=True)]
        lines.append("")
        lines.append(
            "TRM accuracy per supervision step (mean over seeds, all steps run): "
            + ", ".join(f"{100 * a:.1f}" for a in curve)
        )
    report = "\n".join(lines)
    print(report)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"config": args.config, "variants": table}, indent=2))
    (out / "results.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
