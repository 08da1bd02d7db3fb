"""Run an experiment: variants of one training config, each trained and evaluated, tabled with budgets.

    python examples/run_experiment.py examples/experiments/training_efficiency.yaml [--out DIR] [--seeds 0 1]

An experiment file names a base `config`, the `seeds`, the `evaluate` arguments of
`training.evaluate_model`, the `metric` to table (a key of the evaluation results; dotted for nested
ones, e.g. `calculator.accuracy`) and optionally `extra_metrics`, a `group_metric` (the metric of the
tables and plots by group, where it differs from `metric`: groups hold the problems a model read, not
`accuracy_over_all_records`), a `target` (then the table also gives
the first optimizer step at which the validation `metric`, evaluated during training, reached it) and a
`baseline` variant, and its `variants`: command-line overrides of the config plus, where a variant's budget is
another's, one of

- `equal_examples: OTHER`: as many optimizer steps as it takes to see the examples OTHER saw (same seed);
- `equal_time: OTHER` with `rate_from: THIRD`: as many steps as THIRD's measured steps per second fit in
  OTHER's training time (same seed; THIRD is this variant at another budget).

`task` (default `math`) picks the scripts: a math run trains with `training/train.py` and is scored by
`training.evaluate_model`; a `puzzles` run trains with `training/train_puzzles.py` and is scored by
`training.evaluate_puzzles` (its `evaluate` arguments name the `--dataset_dir`). Finished runs are
reused, so an interrupted experiment resumes. Writes `results.json`, `results.md` (the tables printed)
and, per evaluation with groups (e.g. `--group_by num_steps`), `NAME_by_group.png`: the metric against
the group, a line per variant.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from training.arguments import parse_arguments, parse_puzzle_arguments  # noqa: E402
from training.plots import plot_accuracy_by_group  # noqa: E402

VARIANT_KEYS = {"overrides", "seeds", "equal_examples", "equal_time", "rate_from", "evaluate"}
EXPERIMENT_KEYS = {
    "description",
    "task",
    "config",
    "out",
    "seeds",
    "evaluate",
    "metric",
    "target",
    "extra_metrics",
    "group_metric",
    "baseline",
    "variants",
}


@dataclass(frozen=True)
class Task:
    """The scripts of one kind of experiment: training, its argument parser, and evaluation (which
    takes the training config when `evaluate_with_config`)."""

    train_script: str
    parse: Callable
    evaluate_module: str
    evaluate_with_config: bool


TASKS = {
    "math": Task("training/train.py", parse_arguments, "training.evaluate_model", True),
    "puzzles": Task("training/train_puzzles.py", parse_puzzle_arguments, "training.evaluate_puzzles", False),
}


def flatten(items: list) -> list[str]:
    """Command-line items as strings, nested lists (shared YAML anchors) spliced in place."""
    flat = []
    for item in items:
        flat += flatten(item) if isinstance(item, list) else [str(item)]
    return flat


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
    experiment.setdefault("task", "math")
    if experiment["task"] not in TASKS:
        raise ValueError(f"{path}: `task` must be one of {sorted(TASKS)}, got {experiment['task']!r}.")
    variants = experiment["variants"]
    for name, spec in variants.items():
        spec = variants[name] = spec or {}
        for key in ("overrides", "evaluate"):
            if key in spec:
                spec[key] = flatten(spec[key])
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
        self.task = TASKS[experiment["task"]]

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
            _, _, args = self.task.parse(["--config", self.experiment["config"], *spec.get("overrides", [])])
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
                self.task.train_script,
                "--config",
                self.experiment["config"],
                "--output_dir",
                str(run_dir),
                "--seed",
                str(seed),
                "--disable_tqdm",
                "true",
                *spec.get("overrides", []),
                *self.budget_overrides(variant, seed),
            ]
        )

    def evaluate(self, variant: str, seed: int) -> dict[str, Any]:
        """Train (unless done) and evaluate one run; returns its `eval_results.json`, a puzzle
        evaluation's shaped like a math one (one entry of `evaluations`, named by dataset folder)."""
        self.train(variant, seed)
        run_dir = self.run_dir(variant, seed)
        results_path = run_dir / "eval" / "eval_results.json"
        if not results_path.exists():
            spec = self.experiment["variants"][variant]
            config = ["--config", self.experiment["config"]] if self.task.evaluate_with_config else []
            run(
                [
                    sys.executable,
                    "-m",
                    self.task.evaluate_module,
                    "--model",
                    str(run_dir),
                    *config,
                    "--out",
                    str(run_dir / "eval"),
                    *flatten(self.experiment.get("evaluate", [])),
                    *spec.get("evaluate", []),
                ]
            )
        report = json.loads(results_path.read_text())
        if "evaluations" not in report:  # a puzzle evaluation: one dataset, its results at the top level
            dataset = {"name": Path(report["dataset_dir"]).name, "split": report["split"]}
            evaluation = {"dataset": dataset, "num_parameters": report["num_parameters"]}
            return {"evaluations": [{**evaluation, "results": report["results"]}]}
        return report


def steps_to_target(run_dir: Path, metric: str, target: float) -> int | None:
    """The first optimizer step whose validation `metric` (the Trainer's evaluations) reached `target`."""
    history = json.loads((run_dir / "trainer_state.json").read_text())["log_history"]
    return next((e["step"] for e in history if e.get(f"eval_{metric}", -1.0) >= target), None)


def lookup(results: dict[str, Any], path: str) -> Any:
    """`results["calculator"]["accuracy"]` for the path `"calculator.accuracy"`; `None` where absent."""
    for key in path.split("."):
        if not isinstance(results, dict) or key not in results:
            return None
        results = results[key]
    return results


def summarise(experiment: Experiment, metrics: list[str]) -> dict[str, Any]:
    """Per variant: parameters, budgets and, per evaluation, the `metrics` and the groups, per seed."""
    spec = experiment.experiment
    table = {}
    for variant in spec["variants"]:
        seeds = experiment.seeds_of(variant)
        runs = [experiment.evaluate(variant, seed) for seed in seeds]
        infos = [experiment.training_info(variant, seed) for seed in seeds]
        evaluations = {}
        for index, evaluation in enumerate(runs[0]["evaluations"]):
            name = f"{evaluation['dataset']['name']}/{evaluation['dataset']['split']}"
            results = [r["evaluations"][index]["results"] for r in runs]
            evaluations[name] = {
                "mean_halt_steps": [r["mean_halt_steps"] for r in results],
                **{metric: [lookup(r, metric) for r in results] for metric in metrics},
                **{
                    f"{metric}_per_step": [lookup(r, f"{metric}_per_step") for r in results]
                    for metric in metrics
                },
                "per_group": [r.get("per_group") for r in results],
            }
        table[variant] = {
            "seeds": seeds,
            "parameters": runs[0]["evaluations"][0]["num_parameters"],
            "optimizer_steps": [info["train_metrics"]["global_step"] for info in infos],
            "examples_seen": [info["train_metrics"]["examples_seen"] for info in infos],
            "train_seconds": [info["train_metrics"]["train_runtime"] for info in infos],
            "steps_to_target": [
                steps_to_target(experiment.run_dir(variant, seed), spec["metric"], spec["target"])
                for seed in seeds
            ]
            if "target" in spec
            else None,
            "evaluations": evaluations,
        }
    return table


def percent(values: list[float | None]) -> str:
    """`"54.0 % (53.0, 55.0)"`: the mean over seeds and each seed, or `"n/a"`."""
    if any(value is None for value in values):
        return "n/a"
    per_seed = ", ".join(f"{100 * value:.1f}" for value in values)
    return f"{100 * statistics.mean(values):.1f} %" + (f" ({per_seed})" if len(values) > 1 else "")


def markdown(
    table: dict[str, Any],
    metrics: list[str],
    baseline: str | None,
    target: float | None,
    group_metric: str,
) -> str:
    """The main table (a column per evaluation and metric) and, where evaluations are grouped, one table
    per evaluation with `group_metric` by group."""
    first_row = next(iter(table.values()))
    names = list(first_row["evaluations"])
    header = ["variant", "params", "seeds", "steps", "examples seen", "train min"]
    if target is not None:
        header.append(f"steps to {100 * target:.0f} % validation {metrics[0]}")
    header += [f"{name} {metric}" for name in names for metric in metrics]
    header += [f"vs {baseline}"] if baseline else []
    header.append("ACT steps")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for variant, row in table.items():
        cells = [
            variant,
            f"{row['parameters'] / 1e6:.2f}M",
            str(len(row["seeds"])),
            f"{statistics.mean(row['optimizer_steps']):.0f}",
            f"{statistics.mean(row['examples_seen']):,.0f}",
            f"{statistics.mean(row['train_seconds']) / 60:.1f}",
        ]
        if target is not None:
            cells.append(", ".join("not reached" if s is None else str(s) for s in row["steps_to_target"]))
        cells += [percent(row["evaluations"][name][metric]) for name in names for metric in metrics]
        if baseline:
            base = table[baseline]["evaluations"][names[0]][metrics[0]]
            mean = row["evaluations"][names[0]][metrics[0]]
            defined = None not in base + mean and statistics.mean(base) > 0
            cells.append(f"{statistics.mean(mean) / statistics.mean(base):.2f}×" if defined else "n/a")
        cells.append(f"{statistics.mean(row['evaluations'][names[0]]['mean_halt_steps']):.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    for name in names:
        lines += group_table(table, name, group_metric)
    return "\n".join(lines)


def group_means(
    table: dict[str, Any], name: str, metric: str
) -> tuple[list[str], dict[str, dict[str, float]]]:
    """The groups of evaluation `name` in order ("2" before "10") and, per variant, `metric` by group
    (mean over seeds; a group some seed lacks is left out). No groups if the evaluation is ungrouped."""
    grouped = {variant: row["evaluations"][name]["per_group"] for variant, row in table.items()}
    groups = {group for runs in grouped.values() for scores in runs if scores for group in scores}
    ordered = sorted(groups, key=lambda group: (len(group), group))
    means = {}
    for variant, runs in grouped.items():
        means[variant] = {}
        for group in ordered:
            values = [lookup(scores[group], metric) for scores in runs if scores and group in scores]
            if len(values) == len(runs) and None not in values:
                means[variant][group] = statistics.mean(values)
    return ordered, means


def group_table(table: dict[str, Any], name: str, metric: str) -> list[str]:
    """Lines of a table of `metric` on evaluation `name` by group (mean over seeds); none if ungrouped."""
    ordered, means = group_means(table, name, metric)
    if not ordered:
        return []
    lines = ["", f"{name}, {metric} by group (mean over seeds):", ""]
    lines += ["| variant | " + " | ".join(ordered) + " |", "|---|" + "---|" * len(ordered)]
    for variant, scores in means.items():
        cells = [f"{100 * scores[group]:.1f}" if group in scores else "" for group in ordered]
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return lines


def plot_groups(table: dict[str, Any], metric: str, out: Path) -> list[Path]:
    """One plot per grouped evaluation, `metric` against the group for every variant; the paths."""
    paths = []
    for name in next(iter(table.values()))["evaluations"]:
        ordered, means = group_means(table, name, metric)
        if ordered:
            path = out / f"{name.replace('/', '_')}_by_group.png"
            plot_accuracy_by_group(means, ordered, f"{name}, {metric}", path)
            paths.append(path)
    return paths


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
    metrics = [spec["metric"], *spec.get("extra_metrics", [])]
    table = summarise(experiment, metrics)
    group_metric = spec.get("group_metric", spec["metric"])
    report = markdown(table, metrics, spec.get("baseline"), spec.get("target"), group_metric)
    print(report)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"experiment": spec, "variants": table}, indent=2))
    (out / "results.md").write_text(report + "\n")
    plot_groups(table, group_metric, out)


if __name__ == "__main__":
    main()
