"""Batches for `TRMForMathQA`: right-padded question ids and fixed-width answer labels, and back from
answer slots to answer strings (`decode_answers`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from modeling_trm import IGNORE_INDEX

ANSWER_ALIGNMENTS = ("left", "right")


def check_answer_alignment(alignment: str) -> None:
    """Raise a `ValueError` naming the field unless `alignment` is one of `ANSWER_ALIGNMENTS`."""
    if alignment not in ANSWER_ALIGNMENTS:
        raise ValueError(f"`answer_alignment` must be one of {ANSWER_ALIGNMENTS}, got {alignment!r}.")


@dataclass
class MathCollator:
    """Collate tokenised records (`filtering.tokenize_records`) into model inputs.

    Args:
        tokenizer (`PreTrainedTokenizerBase`): Gives the pad id.
        answer_length (`int`): Width of `labels` (the model's answer slots).
        max_question_length (`int`): Longest question allowed; a longer one is an error (filter first).
        min_width (`int`, defaults to 0): Pad questions to at least this many tokens (else to the longest
            question of the batch), for consumers that need one width for every batch (`TRMTrainer`
            keeps rows in its slots across steps): the longest question they will be given.
        answer_alignment (`str`, defaults to `"left"`): `"left"`: the labels fill the first slots and the
            rest are not scored. `"right"`: they end in the last slot after pad tokens, which are scored,
            so that each digit place of an integer answer has its own slot whatever the answer's length.
            `decode_answers` reads both (pad tokens are skipped).

    Returns (when called on a list of rows with `input_ids` and `labels`):
        `dict[str, torch.LongTensor]`: `input_ids` `[B, Lq]` right-padded with the pad id,
        `attention_mask` `[B, Lq]` (1 on question tokens), and `labels` `[B, answer_length]` (the row's
        labels, i.e. target tokens and one eos, then -100; right-aligned: pad ids, then the labels).
    """

    tokenizer: PreTrainedTokenizerBase
    answer_length: int
    max_question_length: int
    min_width: int = 0
    answer_alignment: str = "left"

    def __post_init__(self) -> None:
        check_answer_alignment(self.answer_alignment)

    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        questions = [row["input_ids"] for row in rows]
        labels = [row["labels"] for row in rows]
        longest = max(len(ids) for ids in questions)
        if longest > self.max_question_length:
            raise ValueError(
                f"A question has {longest} tokens, more than max_question_length={self.max_question_length}; "
                "filter by length (filtering.filter_by_length) before collating."
            )
        if max(len(ids) for ids in labels) > self.answer_length:
            raise ValueError(
                f"A target (with its eos) has {max(len(ids) for ids in labels)} tokens, more than "
                f"answer_length={self.answer_length}; filter by length before collating."
            )
        width = max(longest, self.min_width)
        pad, slots = self.tokenizer.pad_token_id, self.answer_length
        if self.answer_alignment == "right":
            labels = [[pad] * (slots - len(ids)) + ids for ids in labels]
        else:
            labels = [ids + [IGNORE_INDEX] * (slots - len(ids)) for ids in labels]
        return {
            "input_ids": torch.tensor([ids + [pad] * (width - len(ids)) for ids in questions]),
            "attention_mask": torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in questions]),
            "labels": torch.tensor(labels),
        }


def decode_answers(tokenizer: PreTrainedTokenizerBase, token_ids: torch.Tensor | np.ndarray) -> list[str]:
    """Decode answer slots up to the first eos (or `IGNORE_INDEX` padding) into strings, skipping pad tokens
    (those before a right-aligned answer).

    Args:
        tokenizer (`PreTrainedTokenizerBase`): The model's tokenizer.
        token_ids (`torch.LongTensor` or `np.ndarray` of shape `(batch, answer_length)`): Predicted
            answers or `labels`.

    Returns:
        `list[str]`: one stripped answer per row.
    """
    answers = []
    for row in torch.as_tensor(token_ids).tolist():  # any device
        kept = []
        for token in row:
            if token in (tokenizer.eos_token_id, IGNORE_INDEX):
                break
            kept.append(token)
        answers.append(tokenizer.decode(kept, skip_special_tokens=True).strip())
    return answers
