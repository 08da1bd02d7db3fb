"""Run an experiment: variants of one training config, each trained and evaluated, tabled with budgets.

    python examples/run_experiment.py examples/experiments/training_efficiency.yaml [--out DIR] [--seeds 0 1]

An experiment file names a base `config`, the `seeds`, the `evaluate` arguments of
`training.evaluate_model`, the `metric` to table and a `baseline` variant, and its `variants`: command-line
overrides of the config plus, where a variant's budget is another's, one of

- `equal_examples: OTHER`: as many optimizer steps as it takes to see the examples OTHER saw (same seed);
- `equal_time: OTHER` with `rate_from: THIRD`: as many steps as THIRD's measured steps per second fit in
  OTHER's training time (same seed; THIRD is this variant at another budget).

Every run trains with `training/train.py` and is scored by `training.evaluate_model`; finished runs are
reused, so an interrupted experiment resumes. Writes `results.json` and `results.md` (the tables printed).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from training.arguments import parse_arguments  # noqa: E402

VARIANT_KEYS = {"overrides", "seeds", "equal_examples", "equal_time", "rate_from", "evaluate"}
EXPERIMENT_KEYS = {"description", "config", "out", "seeds", "evaluate", "metric", "baseline", "variants"}


def load_experiment(path: Path) -> dict[str, Any]:
    """Read and check an experiment file (unknown keys and dangling references are errors naming them)."""
    experiment = yaml.safe_load(path.read_text())
    if not isinstance(experiment, dict):
        raise ValueError(f"{path}: expected a mapping, got {type(experiment).__name__}.")
    unknown = set(experiment) - EXPERIMENT_KEYS
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; allowed: {sorted(EXPERIMENT_KEYS)}.")
    for key in ("config", "variants", "metric"):
        if key not in experiment:
            raise ValueError(f"{path}: missing key `{key}`.")
    variants = experiment["variants"]
    for name, spec in variants.items():
        spec = variants[name] = spec or {}
        unknown = set(spec) - VARIANT_KEYS
        if unknown:
            raise ValueError(f"{path}: variant `{name}` has unknown keys {sorted(unknown)}.")
        for key in ("equal_examples", "equal_time", "rate_from"):
            if key in spec and spec[key] not in variants:
                raise ValueError(f"{path}: variant `{name}`: `{key}` names no variant ({spec[key]!r}).")
        if ("equal_time" in spec) != ("rate_from" in spec):
            raise ValueError(f"{path}: variant `{name}`: `equal_time` needs `rate_from` and back.")
    if experiment.get("baseline") not in (None, *variants):
        raise ValueError(f"{path}: `baseline` names no variant ({experiment['baseline']!r}).")
    return experiment


def run(command: list[str]) -> None:
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=REPO)


class Experiment:
    """Trains and evaluates the runs of one experiment file, resolving budgets that refer to other runs."""

    def __init__(self, experiment: dict[str, Any], out: Path, seeds: list[int] | None) -> None:
        self.experiment = experiment
        self.out = out
        self.seeds = seeds or experiment.get("seeds", [0])

    def seeds_of(self, variant: str) -> list[int]:
        return self.experiment["variants"][variant].get("seeds", self.seeds)

    def run_dir(self, variant: str, seed: int) -> Path:
        return self.out / f"{variant}_seed{seed}"

    def training_info(self, variant: str, seed: int) -> dict[str, Any]:
        """The finished run's `training_info.json` (training it first if needed)."""
        self.train(variant, seed)
        return json.loads((self.run_dir(variant, seed) / "training_info.json").read_text())

    def budget_overrides(self, variant: str, seed: int) -> list[str]:
        """`--max_steps` for a variant whose budget is another run's examples or training time."""
        spec = self.experiment["variants"][variant]
        if "equal_examples" in spec:
            examples = self.training_info(spec["equal_examples"], seed)["train_metrics"]["examples_seen"]
            _, _, args = parse_arguments(["--config", self.experiment["config"], *spec.get("overrides", [])])
            per_step = args.per_device_train_batch_size * args.gradient_accumulation_steps
            return ["--max_steps", str(math.ceil(examples / per_step))]
        if "equal_time" in spec:
            seconds = self.training_info(spec["equal_time"], seed)["train_metrics"]["train_runtime"]
            rate = self.training_info(spec["rate_from"], seed)["train_metrics"]["train_steps_per_second"]
            return ["--max_steps", str(max(1, round(seconds * rate)))]
        return []

    def train(self, variant: str, seed: int) -> None:
        run_dir = self.run_dir(variant, seed)
        if (run_dir / "training_info.json").exists():
            return
        spec = self.experiment["variants"][variant]
        run(
            [
                sys.executable,
                "training/train.py",
                "--config",
                self.experiment["config"],
                "--output_dir",
                str(run_dir),
                "--seed",
                str(seed),
                "--disable_tqdm",
                "true",
                *[str(item) for item in spec.get("overrides", [])],
                *self.budget_overrides(variant, seed),
            ]
        )

    def evaluate(self, variant: str, seed: int) -> dict[str, Any]:
        """Train (unless done) and evaluate one run; returns its `eval_results.json`."""
        self.train(variant, seed)
        run_dir = self.run_dir(variant, seed)
        results_path = run_dir / "eval" / "eval_results.json"
        if not results_path.exists():
            spec = self.experiment["variants"][variant]
            run(
                [
                    sys.executable,
                    "-m",
                    "training.evaluate_model",
                    "--model",
                    str(run_dir),
                    "--config",
                    self.experiment["config"],
                    "--out",
                    str(run_dir / "eval"),
                    *[str(item) for item in self.experiment.get("evaluate", [])],
                    *[str(item) for item in spec.get("evaluate", [])],
                ]
            )
        return json.loads(results_path.read_text())


def summarise(experiment: Experiment) -> dict[str, Any]:
    """Per variant: parameters, budgets and the metric of every evaluation, per seed."""
    metric = experiment.experiment["metric"]
    table = {}
    for variant in experiment.experiment["variants"]:
        seeds = experiment.seeds_of(variant)
        runs = [experiment.evaluate(variant, seed) for seed in seeds]
        infos = [experiment.training_info(variant, seed) for seed in seeds]
        evaluations = {}
        for index, evaluation in enumerate(runs[0]["evaluations"]):
            name = f"{evaluation['dataset']['name']}/{evaluation['dataset']['split']}"
            results = [r["evaluations"][index]["results"] for r in runs]
            evaluations[name] = {
                metric: [r[metric] for r in results],
                "mean_halt_steps": [r["mean_halt_steps"] for r in results],
                f"{metric}_per_step": [r.get(f"{metric}_per_step") for r in results],
                "per_group": [r.get("per_group") for r in results],
            }
        table[variant] = {
            "seeds": seeds,
            "parameters": runs[0]["evaluations"][0]["num_parameters"],
            "optimizer_steps": [info["train_metrics"]["global_step"] for info in infos],
            "examples_seen": [info["train_metrics"]["examples_seen"] for info in infos],
            "train_seconds": [info["train_metrics"]["train_runtime"] for info in infos],
            "evaluations": evaluations,
        }
    return table


def markdown(table: dict[str, Any], metric: str, baseline: str | None) -> str:
    """The main table (one column per evaluation) and, where evaluations are grouped, one per group."""
    names = list(next(iter(table.values()))["evaluations"])
    header = "| variant | params | seeds | steps | examples seen | train min | "
    header += " | ".join(f"{name} {metric} (per seed)" for name in names)
    header += " | vs " + baseline + " | ACT steps |" if baseline else " | ACT steps |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for variant, row in table.items():
        cells = [
            variant,
            f"{row['parameters'] / 1e6:.2f}M",
            str(len(row["seeds"])),
            f"{statistics.mean(row['optimizer_steps']):.0f}",
            f"{statistics.mean(row['examples_seen']):,.0f}",
            f"{statistics.mean(row['train_seconds']) / 60:.1f}",
        ]
        for name in names:
            values = row["evaluations"][name][metric]
            per_seed = ", ".join(f"{100 * v:.1f}" for v in values)
            cells.append(f"{100 * statistics.mean(values):.1f} % ({per_seed})")
        if baseline:
            first = names[0]
            base = statistics.mean(table[baseline]["evaluations"][first][metric])
            mean = statistics.mean(row["evaluations"][first][metric])
            cells.append(f"{mean / base:.2f}×" if base > 0 else "n/a")
        halt = statistics.mean(row["evaluations"][names[0]]["mean_halt_steps"])
        cells.append(f"{halt:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    for name in names:
        grouped = {v: r["evaluations"][name]["per_group"] for v, r in table.items()}
        groups = sorted(
            {g for runs in grouped.values() for run_groups in runs if run_groups for g in run_groups},
            key=lambda g: (len(g), g),
        )
        if not groups:
            continue
        lines += ["", f"{name}, {metric} by group (mean over seeds):", ""]
        lines.append("| variant | " + " | ".join(groups) + " |")
        lines.append("|---|" + "---|" * len(groups))
        for variant, runs in grouped.items():
            cells = []
            for group in groups:
                values = [
                    run_groups[group][metric] for run_groups in runs if run_groups and group in run_groups
                ]
                cells.append(f"{100 * statistics.mean(values):.1f}" if values else "")
            lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("experiment", help="Experiment YAML file.")
    parser.add_argument("--out", help="Run folder; default: the file's `out`.")
    parser.add_argument("--seeds", type=int, nargs="+", help="Override the file's seeds.")
    parser.add_argument(
        "--variants", nargs="+", help="Run only these variants (and what their budgets need)."
    )
    args = parser.parse_args(argv)
    path = Path(args.experiment)
    spec = load_experiment(path)
    if args.variants:
        missing = set(args.variants) - set(spec["variants"])
        if missing:
            raise SystemExit(f"{path}: no variants {sorted(missing)}.")
        spec["variants"] = {name: spec["variants"][name] for name in args.variants}
        if spec.get("baseline") not in spec["variants"]:
            spec["baseline"] = None
    out = Path(args.out or spec.get("out") or REPO / "runs" / path.stem)
    experiment = Experiment(spec, out, args.seeds)
    table = summarise(experiment)
    report = markdown(table, spec["metric"], spec.get("baseline"))
    print(report)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"experiment": spec, "variants": table}, indent=2))
    (out / "results.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
