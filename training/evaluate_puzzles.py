"""Evaluate a saved TRM puzzle model: ACT and per-step (refinement curve) grid accuracy, halting, plots.

    python -m training.evaluate_puzzles --model runs/sudoku6_cpu --dataset_dir runs/puzzles/sudoku6 \
        --out runs/sudoku6_cpu/eval

Writes `eval_results.json` (`{"model", "dataset_dir", "num_parameters", "results"}`; results hold
`exact_accuracy` and `token_accuracy` with ACT, the same per supervision step with every step run,
`mean_halt_steps`, `halt_step_histogram` and examples/s of both modes), `refinement_curve.png` and
`halting_histogram.png`. Exact accuracy counts a grid right when every labelled cell is right.
On an ARC dataset's test split, `results["arc"]` adds pass@1 / pass@2 per task after undoing each
row's augmentation and voting across augmentations (`training.data.puzzles.arc_eval`), scored on
the all-steps predictions as in the paper.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from accelerate import PartialState
from torch.utils.data import DataLoader

import modeling_trm  # noqa: F401  (registers the TRM Auto classes)
from modeling_trm import TRMForPuzzles
from modeling_trm.loading import load_saved_model
from training.data.puzzles.arc import TEST_TASKS_FILE
from training.data.puzzles.arc_eval import evaluate_arc, load_test_tasks
from training.data.puzzles.collator import check_model_fits, collate_puzzles, to_model_columns
from training.data.puzzles.common import load_puzzle_dataset
from training.evaluation import add_inference_arguments, evaluate_puzzle_model
from training.plots import plot_halting_histogram, plot_refinement_curve


def summary(results: dict) -> str:
    """One line: ACT exact accuracy and steps, the refinement curve, ARC pass@k when scored."""
    line = (
        f"exact {100 * results['exact_accuracy']:.1f} % with ACT ({results['mean_halt_steps']:.2f} steps), "
        "per step " + " ".join(f"{100 * a:.1f}" for a in results["exact_accuracy_per_step"])
    )
    arc = {key: value for key, value in results.get("arc", {}).items() if key.startswith("pass@")}
    return line + "".join(f", ARC {key} {100 * value:.1f} %" for key, value in arc.items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True, help="Saved TRMForPuzzles folder or Hub id.")
    parser.add_argument("--dataset_dir", required=True, help="Folder from `training.data.puzzles.build`.")
    parser.add_argument("--split", default="test")
    parser.add_argument(
        "--skip_examples", type=int, default=0, help="Start after this many rows of the split."
    )
    parser.add_argument("--max_examples", type=int, default=None, help="Evaluate on at most this many.")
    parser.add_argument("--batch_size", type=int, default=256)
    add_inference_arguments(parser)
    parser.add_argument("--out", required=True, help="Folder for the JSON and the plots.")
    args = parser.parse_args(argv)

    splits, metadata = load_puzzle_dataset(args.dataset_dir)
    if args.split not in splits:
        raise ValueError(f"{args.dataset_dir} has no split {args.split!r}; it has {sorted(splits)}.")
    records = splits[args.split]
    if not 0 <= args.skip_examples < len(records):
        raise ValueError(
            f"--skip_examples {args.skip_examples}: the {args.split} split has {len(records)} rows."
        )
    end = (
        len(records)
        if args.max_examples is None
        else min(args.skip_examples + args.max_examples, len(records))
    )
    if args.skip_examples or end < len(records):
        records = records.select(range(args.skip_examples, end))
    dataset = to_model_columns(records)
    device = PartialState().device
    model = load_saved_model(args.model, TRMForPuzzles).to(device).eval()
    check_model_fits(model.config, metadata, args.model, args.dataset_dir)
    if args.halt_threshold is not None:
        model.config.halt_threshold = args.halt_threshold
    loader = DataLoader(dataset, batch_size=args.batch_size, collate_fn=collate_puzzles)
    batches = [{k: v.to(device) for k, v in batch.items()} for batch in loader]
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16):
        results, predictions = evaluate_puzzle_model(model, batches)
    is_arc = (Path(args.dataset_dir) / TEST_TASKS_FILE).is_file()
    every_row = args.skip_examples == 0 and args.max_examples is None
    if is_arc and args.split == "test" and every_row:  # voting needs every test row
        arc = evaluate_arc(predictions.numpy(), records, load_test_tasks(args.dataset_dir))
        results["arc"] = {key: value for key, value in arc.items() if key != "per_task"}

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "model": args.model,
        "dataset_dir": args.dataset_dir,
        "split": args.split,
        "rows": [args.skip_examples, args.skip_examples + len(records)],
        "halt_threshold": model.config.halt_threshold,
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "results": results,
    }
    plot_refinement_curve(results, out / "refinement_curve.png")
    plot_halting_histogram(results, out / "halting_histogram.png")
    # Written last: a run that fails on the way leaves no results that look complete.
    (out / "eval_results.json").write_text(json.dumps(report, indent=2))
    print(summary(results))


if __name__ == "__main__":
    main()
