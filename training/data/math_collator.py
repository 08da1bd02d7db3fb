"""Batches for `TRMForMathQA`: padded question ids and fixed-width answer labels."""

from __future__ import annotations

from dataclasses import dataclass

import torch

IGNORE_INDEX = -100


@dataclass
class MathCollator:
    """Collate tokenized rows (`input_ids`: question tokens, `labels`: answer tokens + eos).

    Args:
        pad_token_id (`int`): Id that pads questions.
        answer_length (`int`): Width of `labels`; padded with -100.
        max_question_length (`int`): Longest question allowed; longer rows are an error.
        pad_to_max_length (`bool`, defaults to `True`): Pad questions to `max_question_length`
            (fixed widths, as the trainer's slots need) instead of to the longest in the batch.

    Returns (on call):
        `dict` with `input_ids` `[B, L]`, `attention_mask` `[B, L]` and `labels` `[B, answer_length]`.
    """

    pad_token_id: int
    answer_length: int
    max_question_length: int
    pad_to_max_length: bool = True

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        longest = max(len(row["input_ids"]) for row in rows)
        if longest > self.max_question_length or any(len(r["labels"]) > self.answer_length for r in rows):
            raise ValueError(
                f"A row exceeds max_question_length={self.max_question_length} or answer_length="
                f"{self.answer_length}; filter by length before collating."
            )
        width = self.max_question_length if self.pad_to_max_length else longest
        input_ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        labels = torch.full((len(rows), self.answer_length), IGNORE_INDEX, dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, : len(row["input_ids"])] = torch.tensor(row["input_ids"])
            attention_mask[i, : len(row["input_ids"])] = 1
            labels[i, : len(row["labels"])] = torch.tensor(row["labels"])
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
