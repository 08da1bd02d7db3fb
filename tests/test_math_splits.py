"""The embedded data sets' splits as training and evaluation load them (`math_datasets.load_records`)."""

from __future__ import annotations

import pytest

from training.arguments import DataArguments
from training.data.math_datasets import TEST_SPLITS, load_records


def chain_args(**fields) -> DataArguments:
    return DataArguments(
        dataset="generator", generator_task="arithmetic_chain", min_ops=1, max_ops=3, max_value=9,
        num_train_examples=400, num_eval_examples=200, target="final", **fields,
    )  # fmt: skip


def test_generator_splits_are_disjoint_and_validation_is_what_training_evaluates_on() -> None:
    args = chain_args()
    questions = {
        split: set(load_records("generator", args, split)["question"])
        for split in ("train", "test", "validation")
    }
    assert not questions["train"] & questions["test"]
    assert not questions["train"] & questions["validation"]
    assert not questions["test"] & questions["validation"]


def test_generator_test_split_can_run_longer_chains_than_training() -> None:
    args = chain_args(test_min_ops=4, test_max_ops=6)
    train = load_records("generator", args, "train")
    test = load_records("generator", args, "test")
    assert set(train["num_steps"]) == {1, 2, 3}
    assert set(test["num_steps"]) == {4, 5, 6}
    assert set(load_records("generator", args, "validation")["num_steps"]) == {1, 2, 3}


def word_problem_args(**fields) -> DataArguments:
    return DataArguments(
        dataset="word_problems", min_ops=1, max_ops=4, num_train_examples=300, num_eval_examples=60, **fields
    )


@pytest.mark.parametrize("split", ["validation", *TEST_SPLITS["word_problems"]])
def test_word_problem_held_out_splits_never_repeat_a_training_question(split: str) -> None:
    args = word_problem_args()
    train = load_records("word_problems", args, "train")
    held_out = load_records("word_problems", args, split)
    assert len(held_out) == 60
    assert not set(train["question"]) & set(held_out["question"])
    assert "comparisons" not in set(train["kind"])
    kinds = set(held_out["kind"])
    assert kinds == {"comparisons"} if split == "test_kinds" else "comparisons" not in kinds


def test_word_problem_targets_follow_the_target_argument() -> None:
    final = load_records("word_problems", word_problem_args(target="final"), "train")
    chains = load_records("word_problems", word_problem_args(target="equations"), "train")
    assert final["question"] == chains["question"]
    assert all(t == a for t, a in zip(final["target"], final["answer"], strict=True))
    assert all(
        t.startswith("<<") and t.endswith(f"#### {a}")
        for t, a in zip(chains["target"], chains["answer"], strict=True)
    )
