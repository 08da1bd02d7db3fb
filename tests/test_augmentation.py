"""Numeric augmentation of GSM8K: re-executed chains, seeded draws, no test question."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import datasets
import pytest

from training.data.augment import AUGMENTED_SOURCE, augment_numbers
from training.data.equations import check_chain, split_target
from training.data.gsm8k import load_gsm8k

GSM8K = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gsm8k"
pytestmark = pytest.mark.skipif(not GSM8K.is_dir(), reason=f"GSM8K not found at {GSM8K}")
NUMBER = re.compile(r"\d[\d,]*")


@pytest.fixture(scope="module")
def train() -> datasets.Dataset:
    return load_gsm8k(GSM8K, "train").select(range(1500))


@pytest.fixture(scope="module")
def gsm8k_test_questions() -> list[str]:
    return list(load_gsm8k(GSM8K, "test")["question"])


@pytest.fixture(scope="module")
def variants(train, gsm8k_test_questions) -> datasets.Dataset:
    return augment_numbers(
        train, num_variants=2, seed=0, target="final", forbidden_questions=gsm8k_test_questions
    )


def test_every_variant_reexecutes_to_its_answer(variants) -> None:
    assert len(variants) > 1000
    for variant in variants:
        steps, answer = split_target(variant["equations"])
        assert check_chain(steps, answer) is None, variant
        assert answer == variant["answer"] == variant["target"]
        assert variant["source"] == AUGMENTED_SOURCE


def test_variants_change_numbers_only_and_never_equal_a_test_question(
    train, variants, gsm8k_test_questions
) -> None:
    originals = {record["id"]: record for record in train}
    assert not set(variants["question"]) & set(gsm8k_test_questions)
    for variant in variants:
        original = originals[variant["id"].rsplit("-aug", 1)[0]]
        assert variant["question"] != original["question"]
        assert NUMBER.sub("#", variant["question"]) == NUMBER.sub("#", original["question"])
        steps = split_target(variant["equations"])[0]
        assert len(steps) == len(split_target(original["equations"])[0])
        assert not any("=-" in step for step in steps)


def test_a_known_problem_is_augmented_consistently(train) -> None:
    (variant,) = augment_numbers(train.select([0]), num_variants=1, seed=3)
    # "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May."
    sold = int(re.search(r"clips to (\d+) of", variant["question"]).group(1))
    assert sold != 48 and sold % 2 == 0
    assert (
        variant["equations"]
        == f"<<{sold}/2={sold // 2}>> <<{sold}+{sold // 2}={sold * 3 // 2}>> #### {sold * 3 // 2}"
    )


def test_augmentation_is_seeded_and_per_problem(train) -> None:
    subset = train.select(range(40))
    first, again = (augment_numbers(subset, num_variants=3, seed=7).to_list() for _ in range(2))
    assert first == again
    assert augment_numbers(subset, num_variants=3, seed=8)["question"] != [v["question"] for v in first]
    # A problem's variants do not depend on which other problems are augmented with it.
    second_half = subset.select(range(20, 40))
    tail = augment_numbers(second_half, num_variants=3, seed=7).to_list()
    assert tail == [v for v in first if v["id"].rsplit("-aug", 1)[0] in set(second_half["id"])]


def test_a_variant_equal_to_a_forbidden_question_is_rejected_and_counted(train, caplog) -> None:
    subset = train.select(range(30))
    taken = augment_numbers(subset, num_variants=1, seed=0)["question"][0]
    with caplog.at_level(logging.INFO, logger="training.data.augment"):
        again = augment_numbers(subset, num_variants=1, seed=0, forbidden_questions=[taken])
    assert taken not in again["question"]
    assert "'variants_equal_to_a_forbidden_question': 1" in caplog.text
