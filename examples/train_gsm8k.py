"""The GSM8K recipe: a word-problem curriculum, then GSM8K with numeric augmentation, then evaluation.

    python examples/train_gsm8k.py --out runs/gsm8k                      # CPU: about 4 hours of one thread
    python examples/train_gsm8k.py --out runs/gsm8k --single_pass        # its single-pass twin
    python examples/train_gsm8k.py --out runs/gsm8k_gpu --preset gpu     # one H100: about 7.5 minutes

Stage 1 trains on `training/configs/gsm8k_curriculum[_gpu].yaml` (word problems, equation-chain targets);
stage 2 continues from that model on `training/configs/gsm8k[_gpu].yaml` (GSM8K train plus numeric
variants). Then `training.evaluate_model` scores the final model on the full GSM8K test (problems the
length filter drops count as wrong) and SVAMP, and on held-out word problems by number of steps (new
questions, held-out phrasings, a held-out story kind); both decodings are reported apart (the `####`
number as written, and after calculator decoding). The model folder is `OUT/<name>/gsm8k`, ready for
`python -m hub_cards.publish`. Extra arguments go to both training stages (e.g. `--max_steps 20`, or
`--halt_max_steps 1` for the TRM trained with one supervision step per example, the setting that led
on the CPU word problems).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.evaluate_model import main as evaluate
from training.train import main as train

CONFIGS = Path(__file__).resolve().parents[1] / "training" / "configs"
PRESETS = {"cpu": "", "gpu": "_gpu"}


def run_recipe(
    out: Path, preset: str, single_pass: bool, seed: int, extra: list[str], max_examples: int | None = None
) -> Path:
    """Train both stages (unless already done) and evaluate; returns the final model folder."""
    suffix = PRESETS[preset]
    curriculum_config = str(CONFIGS / f"gsm8k_curriculum{suffix}.yaml")
    gsm8k_config = str(CONFIGS / f"gsm8k{suffix}.yaml")
    run_dir = out / f"{'single_pass' if single_pass else 'trm'}_seed{seed}"
    common = ["--seed", str(seed), *(["--single_pass", "true"] if single_pass else []), *extra]
    limit = [] if max_examples is None else ["--max_examples", str(max_examples)]
    curriculum, final = run_dir / "curriculum", run_dir / "gsm8k"
    if not (curriculum / "training_info.json").exists():
        train(["--config", curriculum_config, "--output_dir", str(curriculum), *common])
    if not (final / "training_info.json").exists():
        train(
            [
                "--config",
                gsm8k_config,
                "--output_dir",
                str(final),
                "--model_name_or_path",
                str(curriculum),
                *common,
            ]
        )
    if not (final / "eval" / "eval_results.json").exists():
        evaluate(
            [
                "--model",
                str(final),
                "--config",
                gsm8k_config,
                "--datasets",
                "gsm8k",
                "svamp",
                "--out",
                str(final / "eval"),
                *limit,
            ]
        )
    word_problems = final / "eval_word_problems"
    if not (word_problems / "eval_results.json").exists():
        evaluate(
            [
                "--model", str(final), "--config", curriculum_config, "--datasets", "word_problems",
                "--group_by", "num_steps", "--test_max_ops", "8", "--out", str(word_problems), *limit,
            ]
        )  # fmt: skip
    return final


def summary(final: Path) -> str:
    """One line per evaluation: accuracy as written and after calculator decoding."""
    lines = []
    for folder in (final / "eval", final / "eval_word_problems"):
        for evaluation in json.loads((folder / "eval_results.json").read_text())["evaluations"]:
            results, name = evaluation["results"], "{name}/{split}".format(**evaluation["dataset"])
            calculator = results.get("calculator", {}).get("accuracy_over_all_records", float("nan"))
            dropped = results["num_records"] - results["num_examples"]
            lines.append(
                f"{name:<28} {100 * results['accuracy_over_all_records']:5.2f} % as written, "
                f"{100 * calculator:5.2f} % with the calculator ({results['num_records']} problems, "
                f"{dropped} too long)"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="runs/gsm8k")
    parser.add_argument("--preset", choices=list(PRESETS), default="cpu")
    parser.add_argument("--single_pass", action="store_true", help="Train the single-pass twin instead.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max_examples", type=int, help="Evaluate on at most this many per split (smoke runs)."
    )
    args, extra = parser.parse_known_args()
    final = run_recipe(Path(args.out), args.preset, args.single_pass, args.seed, extra, args.max_examples)
    print(summary(final))


if __name__ == "__main__":
    main()
