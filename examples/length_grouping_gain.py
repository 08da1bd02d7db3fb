"""What cutting the question padding saves: training steps per second at the full padded width (as before
the cut), with the cut in the default random order, and with the cut and
`train_sampling_strategy=group_by_length`, measured in one run (the three alternate, so that a shared
machine slows them alike), with the question width the network actually ran.

    python examples/length_grouping_gain.py --config training/configs/word_problems_cpu.yaml --steps 100
    python examples/length_grouping_gain.py --config training/configs/gsm8k.yaml --steps 50 --repeats 1

Any training argument may follow (`--per_device_train_batch_size 16`); the data and the fresh model come
from the config as in `training/train.py`. Nothing is saved. Every run trains the same model from the same
initial weights; with group_by_length each epoch is shuffled, then sorted by length within mega-batches
of 50 batches, and each step cuts the question padding that no example in the slots needs. Each
mega-batch starts with its longest questions, so a timed run should span a few mega-batches (50 steps
or more when examples hold one step); the report also gives the mean width over a whole epoch of each
order, computed without training.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import torch
from transformers import AutoTokenizer, set_seed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.arguments import parse_arguments  # noqa: E402
from training.data.math_datasets import build_math_datasets  # noqa: E402
from training.slots import ExampleStream  # noqa: E402
from training.train import build_model  # noqa: E402
from training.trainer import TRMTrainer  # noqa: E402

# name: (train_sampling_strategy, whether each step cuts the unused question padding)
CONTESTANTS = {
    "full_width": ("random", False),  # as before the cut: every step at the padded width
    "random_cut": ("random", True),
    "grouped_cut": ("group_by_length", True),
}


def timed_run(contestant: str, argv: list[str], data: tuple, steps: int) -> dict[str, float]:
    """Train `steps` optimizer steps as `contestant` says: steps per second (the Trainer's own runtime)
    and the mean question width the network ran."""
    strategy, cut = CONTESTANTS[contestant]
    overrides = ["--max_steps", str(steps), "--train_sampling_strategy", strategy, "--save_strategy", "no"]
    model_args, _, training_args = parse_arguments(
        [*argv, *overrides, "--do_eval", "false", "--logging_steps", str(steps), "--disable_tqdm", "true"]
    )
    set_seed(training_args.seed)
    tokenizer, train_dataset, collator = data
    trainer = TRMTrainer(
        model=build_model(model_args, tokenizer),
        args=training_args,
        train_dataset=train_dataset,
        data_collator=collator,
        **training_args.trainer_kwargs(),
    )
    widths = []
    trim = trainer._trim_question_padding

    def recording_trim(batch, carry, config):
        if cut:
            batch, carry = trim(batch, carry, config)
        widths.append(batch["input_ids"].shape[1])
        return batch, carry

    trainer._trim_question_padding = recording_trim
    metrics = trainer.train().metrics
    return {"steps_per_second": steps / metrics["train_runtime"], "mean_width": statistics.fmean(widths)}


def epoch_mean_width(lengths: list[int], batch_size: int, grouped: bool, seed: int) -> float:
    """The mean over one epoch of the longest question in each run of `batch_size` examples taken from
    the stream: the width a step runs when every example stays one step (halting keeps some longer)."""
    stream = ExampleStream(len(lengths), seed, lengths=lengths if grouped else None, batch_size=batch_size)
    widths = []
    while not stream.exhausted:
        widths.append(max(lengths[i] for i in stream.take(batch_size)))
    return statistics.fmean(widths)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", required=True, help="A training config (YAML).")
    parser.add_argument("--steps", type=int, default=100, help="Optimizer steps per timed run.")
    parser.add_argument("--repeats", type=int, default=2, help="Timed runs per order (they alternate).")
    parser.add_argument("--json", help="Also write the report to this JSON file.")
    args, rest = parser.parse_known_args(argv)
    scratch = tempfile.TemporaryDirectory()
    train_argv = ["--config", args.config, "--output_dir", scratch.name, *rest]
    model_args, data_args, training_args = parse_arguments(train_argv)
    tokenizer = AutoTokenizer.from_pretrained(model_args.tokenizer_name_or_path)
    config = build_model(model_args, tokenizer).config
    train_dataset, _, collator = build_math_datasets(
        data_args, tokenizer, config.max_question_length, config.answer_length
    )
    data = (tokenizer, train_dataset, collator)
    lengths = [len(ids) for ids in train_dataset["input_ids"]]
    batch_size, seed = training_args.per_device_train_batch_size, training_args.seed
    epoch_widths = {
        strategy: epoch_mean_width(lengths, batch_size, strategy == "group_by_length", seed)
        for strategy in ("random", "group_by_length")
    }
    runs = {name: [] for name in CONTESTANTS}
    for _ in range(args.repeats):
        for name in CONTESTANTS:
            runs[name].append(timed_run(name, train_argv, data, args.steps))
    best = {name: max(r["steps_per_second"] for r in runs[name]) for name in CONTESTANTS}
    report = {
        "config": args.config,
        "steps": args.steps,
        "repeats": args.repeats,
        "threads": torch.get_num_threads(),
        "max_question_length": config.max_question_length,
        "padded_width": collator.min_width,
        "answer_length": config.answer_length,
        "epoch_mean_width": epoch_widths,
        "runs": runs,
        "speedup_vs_full_width": {name: best[name] / best["full_width"] for name in CONTESTANTS},
    }
    print(f"questions padded to {collator.min_width} tokens, {config.answer_length} answer slots")
    print(
        "mean width over one epoch, one step per example: "
        + ", ".join(f"{strategy} {width:.1f}" for strategy, width in epoch_widths.items())
    )
    for name in CONTESTANTS:
        rates = ", ".join(f"{r['steps_per_second']:.2f}" for r in runs[name])
        width = statistics.fmean(r["mean_width"] for r in runs[name])
        speedup = report["speedup_vs_full_width"][name]
        print(
            f"{name:>12}: steps/s {rates}; mean question width {width:.1f}; best vs full width {speedup:.2f}x"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
