"""Trivial baselines any math model must beat.

    python -m training.metrics.trivial_baselines [--gsm8k_path ../shared/data/gsm8k] [--svamp_path ...]
    python -m training.metrics.trivial_baselines --config training/configs/depth.yaml

Each baseline answers from the question alone, without a model: the most common answer of the training
split, the question's last number, the product and the sum of its numbers. Also printed: how often the
answer appears verbatim among the question's numbers (what copying a number could reach at best).
Without `--config`, GSM8K test and SVAMP are scored with the GSM8K accuracy metric; with `--config`,
the test splits of that training config's data set (as evaluation sees them, before the length
filter) are scored by exact match of the whole answer string. Prints a Markdown table and, with
`--json PATH`, writes the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import datasets

from ..arguments import parse_arguments
from ..data.gsm8k import load_gsm8k
from ..data.math_datasets import TEST_SPLITS, load_records
from ..data.svamp import load_svamp
from .gsm8k_accuracy import load_gsm8k_accuracy
from .string_exact_match import string_exact_matches

# Numbers as a question writes them: "1,200", "$3.50", "12"; words such as "half" are not numbers here.
_QUESTION_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def question_numbers(question: str) -> list[Decimal]:
    """The numbers written with digits in `question`, in order (thousands separators removed)."""
    return [Decimal(match.replace(",", "")) for match in _QUESTION_NUMBER.findall(question)]


def _format(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def baseline_answers(questions: Sequence[str], constant: str) -> dict[str, list[str]]:
    """Each baseline's answer to every question (`""` where a baseline has none, which scores wrong)."""
    numbers = [question_numbers(question) for question in questions]
    rules: dict[str, Callable[[list[Decimal]], Decimal | None]] = {
        f'constant "{constant}" (most common training answer)': lambda _: Decimal(constant),
        "last number of the question": lambda found: found[-1] if found else None,
        "product of the question's numbers": lambda found: math.prod(found) if found else None,
        "sum of the question's numbers": lambda found: sum(found) if found else None,
    }
    return {name: [_format(rule(found)) for found in numbers] for name, rule in rules.items()}


def _as_decimal(answer: str) -> Decimal | None:
    """`answer` as a number, or `None` where it is not one written in decimal (a fraction `"-5/16"`)."""
    try:
        return Decimal(answer)
    except InvalidOperation:
        return None


def answer_in_question(questions: Sequence[str], answers: Sequence[str]) -> float:
    """The fraction of problems whose answer is one of the numbers written in the question."""
    hits = sum(
        _as_decimal(answer) in question_numbers(question)
        for question, answer in zip(questions, answers, strict=True)
    )
    return hits / len(answers)


def score_baselines(
    questions: Sequence[str], answers: Sequence[str], constant: str, exact: bool = False
) -> dict[str, float]:
    """Accuracy of each baseline (`baseline_answers`) under the GSM8K metric or, with `exact`, by exact
    match of the whole answer string; plus `answer in question`."""
    metric = None if exact else load_gsm8k_accuracy(keep_in_memory=True)

    def accuracy(predictions: list[str]) -> float:
        if metric is None:
            return float(string_exact_matches(predictions, answers).mean())
        return metric.compute(predictions=predictions, references=list(answers))["accuracy"]

    scores = {
        name: accuracy(predictions) for name, predictions in baseline_answers(questions, constant).items()
    }
    scores["answer appears among the question's numbers (upper bound of copying)"] = answer_in_question(
        questions, answers
    )
    return scores


def config_baselines(config_argv: list[str]) -> tuple[str, dict[str, dict]]:
    """The most common training answer of a training config's data set, and the baselines on each of
    its test splits (`{"generator/test": {"num_examples": ..., "scores": ...}, ...}`); a split of
    several sources (the Mathematics Dataset's modules) also has them apart under `per_source`."""
    _, data_args, _ = parse_arguments(config_argv)
    name = data_args.dataset
    constant = Counter(load_records(name, data_args, "train")["answer"]).most_common(1)[0][0]

    def scored(records: datasets.Dataset) -> dict[str, Any]:
        scores = score_baselines(records["question"], records["answer"], constant, exact=True)
        return {"num_examples": len(records), "scores": scores}

    results = {}
    for split in TEST_SPLITS.get(name, ("test",)):
        records = load_records(name, data_args, split)
        results[f"{name}/{split}"] = scored(records)
        sources = sorted(set(records["source"]))
        if len(sources) > 1:
            results[f"{name}/{split}"]["per_source"] = {
                source: scored(records.filter(lambda r, s=source: r["source"] == s)) for source in sources
            }
    return constant, results


def gsm8k_baselines(gsm8k_path: str, svamp_path: str) -> tuple[str, dict[str, dict]]:
    """The most common GSM8K training answer, and the baselines on GSM8K test and SVAMP."""
    constant = Counter(load_gsm8k(gsm8k_path, "train", "final")["answer"]).most_common(1)[0][0]
    evaluations = {
        "gsm8k/test": load_gsm8k(gsm8k_path, "test", "final"),
        "svamp": load_svamp(svamp_path, "final"),
    }
    results = {
        name: {
            "num_examples": len(records),
            "scores": score_baselines(records["question"], records["answer"], constant),
        }
        for name, records in evaluations.items()
    }
    return constant, results


def markdown_table(results: dict[str, dict]) -> str:
    """A baseline per row, an evaluation set (`{name: {"num_examples": ..., "scores": ...}}`) per column."""
    names = list(results)
    lines = ["| baseline | " + " | ".join(f"{n} ({results[n]['num_examples']})" for n in names) + " |"]
    lines.append("|---|" + "---|" * len(names))
    for baseline in results[names[0]]["scores"]:
        cells = [f"{100 * results[n]['scores'][baseline]:.2f} %" for n in names]
        lines.append(f"| {baseline} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gsm8k_path", default="../shared/data/gsm8k")
    parser.add_argument("--svamp_path", default="../shared/data/svamp")
    parser.add_argument("--json", help="Also write the figures to this JSON file.")
    args, config_argv = parser.parse_known_args(argv)
    if config_argv:  # a training config (--config FILE.yaml and any data arguments)
        constant, results = config_baselines(config_argv)
    else:
        constant, results = gsm8k_baselines(args.gsm8k_path, args.svamp_path)
    tables = [markdown_table(results)]
    tables += [
        f"{name}:\n" + markdown_table(r["per_source"]) for name, r in results.items() if "per_source" in r
    ]
    print("\n\n".join(tables))
    if args.json:
        Path(args.json).write_text(json.dumps({"most_common_training_answer": constant, **results}, indent=2))


if __name__ == "__main__":
    main()
