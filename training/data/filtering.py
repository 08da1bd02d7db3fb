"""Tokenise records and keep those that fit the model: `max_question_length` and `answer_length`."""

from __future__ import annotations

from collections import Counter

import datasets
from transformers import PreTrainedTokenizerBase
from transformers.utils import logging

logger = logging.get_logger(__name__)

DROP_REASONS = ("question_too_long", "target_too_long")


def _tokenize(batch: dict[str, list], tokenizer: PreTrainedTokenizerBase) -> dict[str, list[list[int]]]:
    questions = tokenizer(batch["question"], add_special_tokens=False)["input_ids"]
    targets = tokenizer(batch["target"], add_special_tokens=False)["input_ids"]
    return {"input_ids": questions, "labels": [ids + [tokenizer.eos_token_id] for ids in targets]}


def tokenize_records(dataset: datasets.Dataset, tokenizer: PreTrainedTokenizerBase) -> datasets.Dataset:
    """Add `input_ids` (the question's tokens) and `labels` (the target's tokens, then one eos).

    Args:
        dataset (`datasets.Dataset`): Records with `question` and `target`.
        tokenizer (`PreTrainedTokenizerBase`): The model's tokenizer; it must have an eos token.

    Returns:
        `datasets.Dataset`: `dataset` with the two token columns added.
    """
    if tokenizer.eos_token_id is None:
        raise ValueError("The tokenizer has no eos token; answers are closed by one.")
    return dataset.map(_tokenize, batched=True, fn_kwargs={"tokenizer": tokenizer}, desc="Tokenising")


def drop_reasons(dataset: datasets.Dataset, max_question_length: int, answer_length: int) -> list[str | None]:
    """Why each tokenised record does not fit: `"question_too_long"` (checked first), `"target_too_long"`
    (target tokens + eos over `answer_length`), or `None` when it fits."""
    return [
        "question_too_long" if len(question) > max_question_length else
        "target_too_long" if len(labels) > answer_length else None
        for question, labels in zip(dataset["input_ids"], dataset["labels"], strict=True)
    ]  # fmt: skip


def filter_by_length(
    dataset: datasets.Dataset, max_question_length: int, answer_length: int, description: str
) -> datasets.Dataset:
    """Keep the tokenised records whose question and labels (target + eos) fit; log how many were
    dropped per reason (`drop_reasons`).

    Args:
        dataset (`datasets.Dataset`): Output of `tokenize_records`.
        max_question_length (`int`): Most question tokens.
        answer_length (`int`): Answer slots; the labels (target tokens + eos) must fit.
        description (`str`): Names the dataset in the log line, e.g. `"gsm8k/train"`.

    Returns:
        `datasets.Dataset`: The records that fit.

    Raises:
        `ValueError`: When no record fits.
    """
    reasons = drop_reasons(dataset, max_question_length, answer_length)
    keep = [index for index, reason in enumerate(reasons) if reason is None]
    dropped = Counter(reason for reason in reasons if reason is not None)
    logger.info(
        f"{description}: kept {len(keep)} of {len(dataset)} (max_question_length={max_question_length}, "
        f"answer_length={answer_length}); dropped "
        + (", ".join(f"{reason}={count}" for reason, count in sorted(dropped.items())) or "none")
        + "."
    )
    if not keep:
        raise ValueError(
            f"{description}: no example fits max_question_length={max_question_length} and "
            f"answer_length={answer_length}."
        )
    return dataset.select(keep) if len(keep) < len(dataset) else dataset
