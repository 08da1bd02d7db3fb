"""Evaluate a saved TRM math model: ACT accuracy, refinement curve, halting, latent dynamics, plots.

    python -m training.evaluate_model --model runs/generator --config training/configs/generator.yaml \
        --datasets generator --out runs/generator/eval
    python -m training.evaluate_model --model org/trm-math --datasets gsm8k svamp --out eval/
    python -m training.evaluate_model --model runs/mathematics --config CONFIG.yaml --datasets mathematics \
        --out runs/mathematics/eval

Each dataset is scored on its test split (the Mathematics Dataset on `interpolate` and `extrapolate`,
one evaluation each), with `string_exact_match_per_group` per record `source`: per module
(`mathematics/<module>`) for the Mathematics Dataset, whose metric is the whole answer string.
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
from transformers import AutoModel, AutoTokenizer

import modeling_trm  # noqa: F401  (registers the TRM Auto classes)
from training.arguments import DataArguments, parse_arguments
from training.data.math_datasets import TEST_SPLITS, build_eval_dataset
from training.evaluation import add_inference_arguments, evaluate_math_model
from training.plots import plot_halting_histogram, plot_refinement_curve, plot_training_curves

logger = logging.getLogger(__name__)

EVAL_DATASETS = ("generator", "gsm8k", "svamp", "mathematics")


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
    parser.add_argument("--out", required=True, help="Folder for the JSON and the plots.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s - %(name)s - %(message)s")

    data_args = parse_arguments(["--config", args.config])[1] if args.config else DataArguments()
    if args.max_examples is not None:
        data_args.max_eval_samples = args.max_examples
    device = PartialState().device
    model = AutoModel.from_pretrained(args.model).to(device).eval()
    if args.halt_threshold is not None:
        model.config.halt_threshold = args.halt_threshold
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    num_parameters = sum(p.numel() for p in model.parameters())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    evaluations = []
    names = args.datasets or [data_args.dataset]
    for name, split in [(n, split) for n in names for split in TEST_SPLITS.get(n, ("test",))]:
        dataset, collator = build_eval_dataset(
            name, data_args, tokenizer, model.config.max_question_length, model.config.answer_length, split
        )
        loader = DataLoader(dataset, batch_size=args.batch_size, collate_fn=collator)
        batches = [{k: v.to(device) for k, v in batch.items()} for batch in loader]
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16):
            # `[:]` reads the column at once (iterating a `Column` reads it row by row).
            results = evaluate_math_model(
                model, tokenizer, batches, args.max_supervision_steps, groups=dataset["source"][:]
            )
        logger.info(
            f"{name}/{split}: accuracy {100 * results['accuracy']:.2f} %, string exact match "
            f"{100 * results['string_exact_match']:.2f} % (ACT, {results['mean_halt_steps']:.2f} steps), "
            "per step " + " ".join(f"{100 * a:.1f}" for a in results["accuracy_per_step"])
        )
        for source, group in results["string_exact_match_per_group"].items():
            logger.info(f"  {source}: {100 * group['accuracy']:.2f} % of {group['num_examples']}")
        evaluations.append(
            {"dataset": {"name": name, "split": split}, "num_parameters": num_parameters, "results": results}
        )

    (out / "eval_results.json").write_text(
        json.dumps(
            {"model": args.model, "halt_threshold": model.config.halt_threshold, "evaluations": evaluations},
            indent=2,
        )
    )
    plot_refinement_curve(evaluations[0]["results"], out / "refinement_curve.png")
    plot_halting_histogram(evaluations[0]["results"], out / "halting_histogram.png")
    trainer_state = Path(args.model) / "trainer_state.json"
    if trainer_state.exists():
        plot_training_curves(
            json.loads(trainer_state.read_text())["log_history"], out / "training_curves.png"
        )
    headline = ("accuracy", "string_exact_match")
    summary = {
        f"{e['dataset']['name']}/{e['dataset']['split']}": {key: e["results"][key] for key in headline}
        for e in evaluations
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
