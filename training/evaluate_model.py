"""Evaluate a saved TRM math model: ACT accuracy, refinement curve, halting, latent dynamics, plots.

    python -m training.evaluate_model --model runs/generator --config training/configs/generator.yaml \
        --datasets generator --out runs/generator/eval
    python -m training.evaluate_model --model org/trm-math --datasets gsm8k svamp --out eval/
    python -m training.evaluate_model --model runs/mathematics --config CONFIG.yaml --datasets mathematics \
        --out runs/mathematics/eval
    python -m training.evaluate_model --model runs/depth --config training/configs/depth.yaml \
        --group_by num_steps --min_ops 1 --max_ops 16 --max_supervision_steps 8 --out runs/depth/eval

Each dataset is scored on its test split (the Mathematics Dataset on `interpolate` and `extrapolate`,
one evaluation each), overall and per value of the record column `--group_by` (`per_group`): per module
or story kind (`source`), or per number of steps (`num_steps`). Arguments this CLI does not know are
data arguments (`training/arguments.py`) overriding the config's, e.g. a test set with longer chains.
Writes `eval_results.json` (`{"model", "evaluations": [{"dataset", "num_parameters", "results"}]}`),
`refinement_curve.png` and `halting_histogram.png` (of the first dataset) and, when the model
folder holds the Trainer's `trainer_state.json`, `training_curves.png`.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import torch
from accelerate import PartialState
from torch.utils.data import DataLoader
from transformers import AutoTokenizer

import modeling_trm  # noqa: F401  (registers the TRM Auto classes)
from modeling_trm import TRMForMathQA
from modeling_trm.loading import check_tokenizer_matches, load_saved_model
from training.arguments import parse_arguments
from training.data.math_datasets import TEST_SPLITS, build_eval_dataset
from training.evaluation import add_inference_arguments, evaluate_math_model
from training.plots import plot_halting_histogram, plot_refinement_curve, plot_training_curves

logger = logging.getLogger(__name__)

EVAL_DATASETS = ("generator", "word_problems", "gsm8k", "svamp", "mathematics")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True, help="Saved model folder or Hub id (with its tokenizer).")
    parser.add_argument("--config", help="Training YAML whose data arguments describe the datasets.")
    parser.add_argument("--datasets", nargs="+", choices=EVAL_DATASETS, help="Default: the config's dataset.")
    parser.add_argument("--max_examples", type=int, default=None, help="Evaluate on at most this many.")
    parser.add_argument("--max_supervision_steps", type=int, default=None, help="Default: the model's N_sup.")
    parser.add_argument("--batch_size", type=int, default=256)
    add_inference_arguments(parser)
    parser.add_argument(
        "--group_by",
        default="source",
        help="Record column to score by group (`source`: per module or story kind; `num_steps`).",
    )
    parser.add_argument("--out", required=True, help="Folder for the JSON and the plots.")
    args, data_overrides = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s - %(name)s - %(message)s")

    # Other arguments are data arguments overriding the config's, e.g. `--min_ops 1 --max_ops 16`.
    data_args = parse_arguments([*(["--config", args.config] if args.config else []), *data_overrides])[1]
    if args.max_examples is not None:
        data_args.max_eval_samples = args.max_examples
    device = PartialState().device
    model = load_saved_model(args.model, TRMForMathQA).to(device).eval()
    if args.halt_threshold is not None:
        model.config.halt_threshold = args.halt_threshold
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    check_tokenizer_matches(tokenizer, model.config, args.model, args.model)
    num_parameters = sum(p.numel() for p in model.parameters())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    evaluations = []
    names = args.datasets or [data_args.dataset]
    for name, split in [(n, split) for n in names for split in TEST_SPLITS.get(n, ("test",))]:
        dataset, collator, num_records = build_eval_dataset(
            name, data_args, tokenizer, model.config.max_question_length, model.config.answer_length, split
        )
        loader = DataLoader(dataset, batch_size=args.batch_size, collate_fn=collator)
        batches = [{k: v.to(device) for k, v in batch.items()} for batch in loader]
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16):
            # `[:]` reads the column at once (iterating a `Column` reads it row by row).
            groups = dataset[args.group_by][:] if args.group_by in dataset.column_names else None
            results = evaluate_math_model(
                model, tokenizer, batches, args.max_supervision_steps, groups=groups
            )
        # Problems the length filter dropped count as wrong in the score over the whole split.
        results["num_records"] = num_records
        results["accuracy_over_all_records"] = results["accuracy"] * results["num_examples"] / num_records
        if "calculator" in results:
            calculator = results["calculator"]
            calculator["accuracy_over_all_records"] = (
                calculator["accuracy"] * results["num_examples"] / num_records
            )
        logger.info(
            f"{name}/{split}: {num_records - results['num_examples']} of {num_records} problems dropped by "
            f"the length filter (scored as wrong: accuracy {100 * results['accuracy_over_all_records']:.2f} "
            "% over all)"
        )
        logger.info(
            f"{name}/{split}: accuracy {100 * results['accuracy']:.2f} %, string exact match "
            f"{100 * results['string_exact_match']:.2f} % (ACT, {results['mean_halt_steps']:.2f} steps), "
            "per step " + " ".join(f"{100 * a:.1f}" for a in results["accuracy_per_step"])
        )
        for group, scores in results.get("per_group", {}).items():
            logger.info(
                f"  {args.group_by} {group}: accuracy {100 * scores['accuracy']:.2f} %, string exact match "
                f"{100 * scores['string_exact_match']:.2f} % of {scores['num_examples']}"
            )
        evaluations.append(
            {"dataset": {"name": name, "split": split}, "num_parameters": num_parameters, "results": results}
        )

    plot_refinement_curve(evaluations[0]["results"], out / "refinement_curve.png")
    plot_halting_histogram(evaluations[0]["results"], out / "halting_histogram.png")
    trainer_state = Path(args.model) / "trainer_state.json"
    if trainer_state.exists():
        plot_training_curves(
            json.loads(trainer_state.read_text())["log_history"], out / "training_curves.png"
        )
    # Written last: a run that fails on the way leaves no results that look complete.
    (out / "eval_results.json").write_text(
        json.dumps(
            {"model": args.model, "halt_threshold": model.config.halt_threshold, "evaluations": evaluations},
            indent=2,
        )
    )
    headline = ("accuracy", "string_exact_match")
    summary = {
        f"{e['dataset']['name']}/{e['dataset']['split']}": {key: e["results"][key] for key in headline}
        for e in evaluations
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
