"""The trivial baselines command: answers from the question alone, scored by the GSM8K metric."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from training.arguments import parse_arguments
from training.data.math_datasets import load_records
from training.metrics.trivial_baselines import (
    baseline_answers,
    config_baselines,
    main,
    question_numbers,
    score_baselines,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "gsm8k").is_dir(), reason=f"no data in {DATA}")


def test_question_numbers_read_digits_with_separators_and_decimals() -> None:
    found = question_numbers("Sam buys 1,200 pens at $3.50 each and 2 more; half of them are red.")
    assert found == [Decimal(1200), Decimal("3.50"), Decimal(2)]


def test_each_baseline_answers_from_the_question_alone() -> None:
    answers = baseline_answers(["Ann has 3 apples and buys 4 more.", "No digits here."], constant="4")
    assert list(answers.values()) == [["4", "4"], ["4", ""], ["12", ""], ["7", ""]]


def test_scores_count_a_missing_answer_as_wrong() -> None:
    scores = score_baselines(["Ann has 3 apples and buys 4 more.", "No digits here."], ["7", "4"], "4")
    assert list(scores.values()) == [0.5, 0.0, 0.0, 0.5, 0.0]


@needs_data
def test_command_reproduces_the_gsm8k_test_baselines(tmp_path: Path, capsys) -> None:
    out = tmp_path / "baselines.json"
    main(["--gsm8k_path", str(DATA / "gsm8k"), "--svamp_path", str(DATA / "svamp"), "--json", str(out)])
    results = json.loads(out.read_text())
    assert results["most_common_training_answer"] == "4"
    gsm8k = results["gsm8k/test"]
    assert gsm8k["num_examples"] == 1319
    constant = gsm8k["scores"]['constant "4" (most common training answer)']
    assert constant == pytest.approx(35 / 1319)  # 2.65 %
    assert "| baseline |" in capsys.readouterr().out


def test_a_fraction_answer_is_never_among_the_question_numbers() -> None:
    scores = score_baselines(["Evaluate 10/16 - 1.", "What is 3 + 4?"], ["-3/8", "7"], "0", exact=True)
    assert scores["answer appears among the question's numbers (upper bound of copying)"] == 0.0
    assert scores["sum of the question's numbers"] == 0.5


def test_config_baselines_score_the_configs_test_split(tmp_path: Path, capsys) -> None:
    config = [
        "--dataset", "generator", "--generator_task", "arithmetic_chain", "--min_ops", "1", "--max_ops", "2",
        "--num_train_examples", "200", "--num_eval_examples", "50",
    ]  # fmt: skip
    constant, results = config_baselines(config)
    _, data_args, _ = parse_arguments(config)
    train_answers = load_records("generator", data_args, "train")["answer"]
    assert train_answers.count(constant) == max(train_answers.count(a) for a in set(train_answers))
    test = load_records("generator", data_args, "test")
    scores = results["generator/test"]["scores"]
    assert results["generator/test"]["num_examples"] == len(test) == 50
    expected = sum(answer == constant for answer in test["answer"]) / 50
    assert scores[f'constant "{constant}" (most common training answer)'] == expected
    last_numbers = [question_numbers(question)[-1] for question in test["question"]]
    expected = sum(str(n) == answer for n, answer in zip(last_numbers, test["answer"], strict=True)) / 50
    assert scores["last number of the question"] == expected

    out = tmp_path / "baselines.json"
    main([*config, "--json", str(out)])
    assert json.loads(out.read_text())["generator/test"]["scores"] == scores
    assert "| baseline | generator/test (50) |" in capsys.readouterr().out


@pytest.mark.skipif(not (DATA / "mathematics-dataset").is_dir(), reason=f"no data in {DATA}")
def test_config_baselines_score_each_mathematics_module_apart() -> None:
    config = ["--dataset", "mathematics", "--mathematics_path", str(DATA / "mathematics-dataset")]
    constant, results = config_baselines([*config, "--target", "final", "--max_eval_samples", "60"])
    assert constant == "0"  # the most common training answer
    assert list(results) == ["mathematics/interpolate", "mathematics/extrapolate"]
    for split in results.values():
        per_source = split["per_source"]
        assert len(per_source) == 6 and all(s["num_examples"] == 10 for s in per_source.values())
        for baseline, score in split["scores"].items():
            assert score == pytest.approx(sum(s["scores"][baseline] for s in per_source.values()) / 6)
