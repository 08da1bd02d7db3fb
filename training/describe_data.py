"""Describe the math data as training will see it: counts per split and source, token lengths.

    python -m training.describe_data --dataset gsm8k --augment_variants 4
    python -m training.describe_data --config training/configs/tiny.yaml --datasets generator svamp

Takes the training arguments (`--config FILE.yaml` and any `ModelArguments` / `DataArguments`
field) and prints, for every split: records, kept and dropped per reason by the length filter, per
source (after augmentation), then the percentiles p50/p90/p95/p99/max of question and
label lengths in tokens, measured before the length filter (labels are the target tokens and one
eos, so their length is what `answer_length` must hold).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter

import numpy as np
from transformers import AutoTokenizer

from .arguments import parse_arguments
from .data.filtering import DROP_REASONS, drop_reasons, tokenize_records
from .data.math_datasets import DATASETS, HELD_OUT_SPLIT, TEST_SPLITS, load_records


def _splits(name: str) -> tuple[str, ...]:
    """Every split of a data set: training and the split evaluated while training, where it has them,
    then its test splits."""
    trained = ("train", HELD_OUT_SPLIT[name]) if name in HELD_OUT_SPLIT else ()
    return (*trained, *TEST_SPLITS.get(name, ("test",)))


SPLITS = {name: _splits(name) for name in DATASETS}
PERCENTILES = (50, 90, 95, 99)


def length_percentiles(lengths: list[int]) -> list[int]:
    """p50, p90, p95, p99 (each an observed length: the smallest one at or above the percentile) and max."""
    return [int(v) for v in np.percentile(lengths, PERCENTILES, method="higher")] + [max(lengths)]


def describe(names: list[str], argv: list[str]) -> list[str]:
    """The report's lines for data sets `names` under training arguments `argv`."""
    model_args, data_args, _ = parse_arguments(argv)
    tokenizer = AutoTokenizer.from_pretrained(model_args.tokenizer_name_or_path)
    max_question, answer = model_args.max_question_length, model_args.answer_length
    lines = [
        f"target={data_args.target} augment_variants={data_args.augment_variants} "
        f"tokenizer={model_args.tokenizer_name_or_path} (vocabulary {len(tokenizer)}) "
        f"max_question_length={max_question} answer_length={answer}",
        "",
        f"{'data set':<11} {'split':<11} {'source':<47} {'records':>8} {'kept':>8}"
        + "".join(f" {reason:>18}" for reason in DROP_REASONS),
    ]
    lengths = [
        f"{'data set':<11} {'split':<11} {'tokens':<9}"
        + "".join(f"{f'p{p}':>6}" for p in PERCENTILES)
        + f"{'max':>6}"
    ]
    for name in names:
        for split in SPLITS[name]:
            tokenized = tokenize_records(load_records(name, data_args, split), tokenizer)
            reasons = drop_reasons(tokenized, max_question, answer)
            counts = Counter(zip(tokenized["source"], reasons, strict=True))
            for source in sorted(set(tokenized["source"])):
                total = sum(count for (where, _), count in counts.items() if where == source)
                lines.append(
                    f"{name:<11} {split:<11} {source:<47} {total:>8} {counts[source, None]:>8}"
                    + "".join(f" {counts[source, reason]:>18}" for reason in DROP_REASONS)
                )
            for column, label in (("input_ids", "question"), ("labels", "labels")):
                values = length_percentiles([len(ids) for ids in tokenized[column]])
                lengths.append(f"{name:<11} {split:<11} {label:<9}" + "".join(f"{v:>6}" for v in values))
    return [*lines, "", "Token lengths before the length filter:", *lengths]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, help="Default: the arguments' dataset.")
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s - %(name)s - %(message)s")
    names = args.datasets or [parse_arguments(rest)[1].dataset]
    print("\n".join(describe(names, rest)))


if __name__ == "__main__":
    main()
