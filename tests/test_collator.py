"""From records to model batches: tokenising, the length filter, the collator, and the describe CLI."""

from __future__ import annotations

import logging
from pathlib import Path

import datasets
import pytest
import torch
from transformers import AutoTokenizer

from modeling_trm import TRMConfig, TRMForMathQA
from tokenization import DEFAULT_TOKENIZER_PATH
from training.arguments import DataArguments
from training.data.collator import IGNORE_INDEX, MathCollator, decode_answers
from training.data.filtering import filter_by_length, tokenize_records
from training.data.math_datasets import build_eval_dataset, build_math_datasets
from training.describe_data import describe

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(DEFAULT_TOKENIZER_PATH)


@pytest.fixture(scope="module")
def rows(tokenizer) -> datasets.Dataset:
    records = datasets.Dataset.from_list(
        [
            {"question": "What is 7 + 5?", "target": "12", "answer": "12", "source": "test"},
            {"question": "Ava has 3 apples. Ava buys 4 more apples. How many now?", "target": "7"},
            {"question": "What is 10 * 10?", "target": "<<10*10=100>> #### 100", "answer": "100"},
        ]
    )
    return tokenize_records(records, tokenizer)


def test_tokenised_labels_are_the_target_then_one_eos(rows, tokenizer) -> None:
    assert rows[0]["input_ids"] == tokenizer("What is 7 + 5?", add_special_tokens=False)["input_ids"]
    assert rows[0]["labels"] == [
        *tokenizer("12", add_special_tokens=False)["input_ids"],
        tokenizer.eos_token_id,
    ]
    target_ids = tokenizer("<<10*10=100>> #### 100", add_special_tokens=False)["input_ids"]
    assert rows[2]["labels"] == [*target_ids, tokenizer.eos_token_id]


def test_decode_answers_reads_tensors_and_arrays_up_to_eos_or_padding(tokenizer) -> None:
    twelve = tokenizer("12", add_special_tokens=False)["input_ids"]
    ids = torch.full((2, len(twelve) + 2), IGNORE_INDEX)
    ids[0, : len(twelve)] = torch.tensor(twelve)
    ids[0, len(twelve)] = tokenizer.eos_token_id
    ids[1, : len(twelve)] = torch.tensor(twelve)
    # A tensor (on any device: the evaluation passes GPU batches) and an array give the same answers.
    assert decode_answers(tokenizer, ids) == ["12", "12"]
    assert decode_answers(tokenizer, ids.numpy()) == ["12", "12"]


def test_collator_pads_questions_to_the_longest_and_labels_to_answer_length(rows, tokenizer) -> None:
    collator = MathCollator(tokenizer, answer_length=20, max_question_length=32)
    batch = collator([rows[0], rows[1], rows[2]])
    lengths = [len(ids) for ids in rows["input_ids"]]
    assert batch["input_ids"].shape == batch["attention_mask"].shape == (3, max(lengths))
    assert batch["labels"].shape == (3, 20)
    assert all(t.dtype == torch.long for t in batch.values())
    for i, length in enumerate(lengths):
        assert batch["input_ids"][i, :length].tolist() == rows[i]["input_ids"]
        assert (batch["input_ids"][i, length:] == tokenizer.pad_token_id).all()
        assert batch["attention_mask"][i].tolist() == [1] * length + [0] * (max(lengths) - length)
        labels = rows[i]["labels"]
        assert batch["labels"][i].tolist() == labels + [IGNORE_INDEX] * (20 - len(labels))
        assert labels[-1] == tokenizer.eos_token_id and labels.count(tokenizer.eos_token_id) == 1


def test_collator_pads_to_at_least_its_min_width(rows, tokenizer) -> None:
    collator = MathCollator(tokenizer, answer_length=20, max_question_length=32, min_width=24)
    assert collator([rows[0]])["input_ids"].shape == (1, 24)
    longer = {**rows[0], "input_ids": [5] * 30}
    assert collator([rows[0], longer])["input_ids"].shape == (2, 30)


def test_right_aligned_labels_end_in_the_last_slot_and_decode_as_left_aligned(rows, tokenizer) -> None:
    left = MathCollator(tokenizer, answer_length=20, max_question_length=32)(list(rows))["labels"]
    right = MathCollator(tokenizer, answer_length=20, max_question_length=32, answer_alignment="right")(
        list(rows)
    )["labels"]
    for i, labels in enumerate(rows["labels"]):
        # Scored pad tokens, then the target and its eos in the last slots: "12"'s units digit sits in
        # the same slot as "7"'s.
        assert right[i].tolist() == [tokenizer.pad_token_id] * (20 - len(labels)) + labels
    expected = ["12", "7", rows[2]["target"]]
    assert decode_answers(tokenizer, right) == decode_answers(tokenizer, left) == expected


def test_answer_alignment_is_checked_where_it_is_set(tokenizer) -> None:
    with pytest.raises(ValueError, match="`answer_alignment` must be one of"):
        MathCollator(tokenizer, answer_length=20, max_question_length=32, answer_alignment="centre")
    with pytest.raises(ValueError, match="`answer_alignment` must be one of"):
        DataArguments(answer_alignment="centre")


def test_collator_refuses_rows_longer_than_the_model(rows, tokenizer) -> None:
    with pytest.raises(ValueError, match="max_question_length=4"):
        MathCollator(tokenizer, answer_length=20, max_question_length=4)([rows[0]])
    with pytest.raises(ValueError, match="answer_length=5"):
        MathCollator(tokenizer, answer_length=5, max_question_length=32)([rows[2]])


def test_length_filter_drops_and_logs_per_reason(rows, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="training.data.filtering"):
        kept = filter_by_length(rows, max_question_length=10, answer_length=4, description="toy")
    assert kept["question"] == ["What is 7 + 5?"]
    assert "toy: kept 1 of 3" in caplog.text
    assert "question_too_long=1" in caplog.text and "target_too_long=1" in caplog.text
    with pytest.raises(ValueError, match="no example fits"):
        filter_by_length(rows, max_question_length=1, answer_length=4, description="toy")


def test_generator_datasets_feed_the_model(tokenizer) -> None:
    data_args = DataArguments(
        generator_task="word_problems",
        max_ops=3,
        num_train_examples=64,
        num_eval_examples=16,
        target="equations",
    )
    train, held_out, collator = build_math_datasets(
        data_args, tokenizer, max_question_length=64, answer_length=40
    )
    assert len(train) <= 64 and 0 < len(held_out) <= 16
    assert not set(train["question"]) & set(held_out["question"])
    longest = max(len(ids) for ids in train["input_ids"])
    assert longest < 64  # the training batches pad to the longest training question, not the limit
    for rows in ([train[i] for i in range(8)], [train[i] for i in range(len(train) - 8, len(train))]):
        assert collator(rows)["input_ids"].shape == (8, longest)
    batch = collator([train[i] for i in range(8)])
    torch.manual_seed(0)
    config = TRMConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_heads=4, H_cycles=1, L_cycles=1, halt_max_steps=2,
        max_question_length=64, answer_length=40, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    out = TRMForMathQA(config)(**batch)
    assert out.logits.shape == (8, 40, len(tokenizer)) and torch.isfinite(out.loss)


def test_data_arguments_choose_the_collators_answer_alignment(tokenizer) -> None:
    data_args = DataArguments(
        generator_task="addition", num_train_examples=32, num_eval_examples=8, target="final",
        answer_alignment="right",
    )  # fmt: skip
    _, _, train_collator = build_math_datasets(data_args, tokenizer, max_question_length=32, answer_length=8)
    dataset, eval_collator, _ = build_eval_dataset(
        "generator", data_args, tokenizer, max_question_length=32, answer_length=8
    )
    for collator in (train_collator, eval_collator):
        labels = collator([dataset[0]])["labels"][0].tolist()
        assert labels[-1] == tokenizer.eos_token_id and labels[0] == tokenizer.pad_token_id


@pytest.mark.skipif(not (DATA / "svamp").is_dir(), reason=f"SVAMP not found in {DATA}")
def test_eval_dataset_pads_to_the_longest_question(tokenizer) -> None:
    data_args = DataArguments(svamp_path=str(DATA / "svamp"), max_eval_samples=10, target="final")
    dataset, collator, _ = build_eval_dataset(
        "svamp", data_args, tokenizer, max_question_length=192, answer_length=8
    )
    batch = collator([dataset[i] for i in range(len(dataset))])
    assert len(dataset) == 10 and batch["input_ids"].shape[1] == max(len(ids) for ids in dataset["input_ids"])


def chain_eval(tokenizer, **fields) -> tuple[datasets.Dataset, int]:
    """The held-out chains of a small generator config, cut by `fields`: the dataset and its record count."""
    data_args = DataArguments(
        dataset="generator", generator_task="arithmetic_chain", min_ops=1, max_ops=3, max_value=9,
        num_train_examples=50, num_eval_examples=40, target="final", **fields,
    )  # fmt: skip
    dataset, _, num_records = build_eval_dataset(
        "generator", data_args, tokenizer, max_question_length=32, answer_length=4
    )
    return dataset, num_records


def test_held_out_slices_skip_then_cut_so_two_slices_share_no_record(tokenizer) -> None:
    whole, _ = chain_eval(tokenizer)
    first, first_count = chain_eval(tokenizer, max_eval_samples=15)
    rest, rest_count = chain_eval(tokenizer, skip_eval_samples=15)
    middle, middle_count = chain_eval(tokenizer, skip_eval_samples=10, max_eval_samples=20)
    assert (first_count, rest_count, middle_count) == (15, 25, 20)
    questions = list(whole["question"])
    assert list(first["question"]) + list(rest["question"]) == questions
    assert list(middle["question"]) == questions[10:30]


def test_a_slice_past_the_end_is_an_error_naming_the_split(tokenizer) -> None:
    with pytest.raises(ValueError, match=r"generator/test: `skip_eval_samples` 40 leaves none of its 40"):
        chain_eval(tokenizer, skip_eval_samples=40)
    with pytest.raises(ValueError, match="`skip_eval_samples` must be at least 0"):
        chain_eval(tokenizer, skip_eval_samples=-1)


def test_describe_reports_counts_and_length_percentiles() -> None:
    argv = ["--dataset", "generator", "--generator_task", "addition", "--num_digits", "2"]
    argv += ["--num_train_examples", "50", "--num_eval_examples", "20", "--target", "final"]
    lines = describe(["generator"], [*argv, "--max_question_length", "8", "--answer_length", "4"])
    assert any(
        line.split() == ["generator", "train", "generator/addition", "50", "0", "50", "0"] for line in lines
    )
    # "What is 12 + 34?": 10 tokens (digits one each), dropped by max_question_length=8.
    assert any(line.split()[:4] == ["generator", "test", "generator/addition", "20"] for line in lines)
    assert ["generator", "train", "question", "10", "10", "10", "10", "10"] in [
        line.split() for line in lines
    ]


def test_describe_reports_every_split_of_the_word_problems() -> None:
    argv = ["--dataset", "word_problems", "--min_ops", "1", "--max_ops", "2", "--target", "equations"]
    argv += ["--num_train_examples", "30", "--num_eval_examples", "10"]
    lines = describe(["word_problems"], [*argv, "--max_question_length", "64", "--answer_length", "32"])
    reported = {tuple(line.split()[:2]) for line in lines if line.startswith("word_problems")}
    for split in ("train", "validation", "test", "test_phrasings", "test_kinds"):
        assert ("word_problems", split) in reported
