"""The main job: train a small TRM and its single-pass twin on two-digit addition, evaluate both (~3 CPU min).

    python examples/train_small.py [--output_dir runs/small] [--seed 0] [training arguments for both]

The same as `python training/train.py --config training/configs/tiny.yaml` (TRM), the same command with
`--single_pass true` (the twin: the same blocks applied once, the same parameters, data and budget:
each trains until its validation exact match reaches 98 % or for 2,500 optimizer steps), then
`python -m training.evaluate_model` on each, written out as the calls a user would make from Python.
Prints both held-out accuracies and the TRM's accuracy after each supervision step; each model folder
gets `eval/eval_results.json` and plots. Other arguments go to both trainings (e.g. `--max_steps 1500`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.arguments import parse_arguments
from training.evaluate_model import main as evaluate
from training.train import main as train

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default=str(REPO / "training" / "configs" / "tiny.yaml"))
    parser.add_argument("--output_dir", default="runs/small")
    parser.add_argument("--seed", type=int, default=0)
    args, extra = parser.parse_known_args()
    out = Path(args.output_dir)
    results = {}
    for name, overrides in (("trm", []), ("single_pass", ["--single_pass", "true"])):
        run_dir = out / name
        common = ["--config", args.config, "--output_dir", str(run_dir), "--seed", str(args.seed), *extra]
        train([*common, *overrides])
        evaluate(["--model", str(run_dir), "--config", args.config, "--out", str(run_dir / "eval")])
        (evaluation,) = json.loads((run_dir / "eval" / "eval_results.json").read_text())["evaluations"]
        info = json.loads((run_dir / "training_info.json").read_text())["train_metrics"]
        results[name] = {**evaluation["results"], **info, "num_parameters": evaluation["num_parameters"]}

    trm = results["trm"]
    print(f"\nHeld-out two-digit sums ({trm['num_examples']} problems never seen in training), exact match:")
    for name, result in results.items():
        print(
            f"  {name:<12} {100 * result['exact_match']:5.1f} %   {result['num_parameters']:,} parameters, "
            f"{result['global_step']} optimizer steps, {result['examples_seen']:,} examples seen, "
            f"{result['train_runtime']:.0f} s of training, "
            f"{result['mean_halt_steps']:.2f} supervision steps (ACT)"
        )
    training_args = parse_arguments(["--config", args.config, "--output_dir", str(out), *extra])[2]
    budget = f"for {training_args.max_steps:,} optimizer steps"
    if training_args.stop_at_metric is not None:
        target = f"{training_args.metric_for_best_model} reaches {training_args.stop_at_metric:.0%}"
        every = f"checked every {training_args.eval_steps:g} steps"
        budget = f"until its validation {target} ({every}) or {budget}"
    print(f"Equal parameters and the same budget: each trains {budget}.")
    curve = ", ".join(f"{100 * a:.1f}" for a in trm["exact_match_per_step"])
    print(f"TRM exact match after each supervision step (all steps run): {curve} %")


if __name__ == "__main__":
    main()
