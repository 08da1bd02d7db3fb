"""Batches for `TRMForPuzzles` from the puzzle record format (`training/data/puzzles/common.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from datasets import Dataset

MODEL_COLUMNS = {"inputs": "input_ids", "labels": "labels", "puzzle_identifier": "puzzle_identifiers"}


def to_model_columns(split: Dataset) -> Dataset:
    """Keep the columns the model reads, named as its `forward` arguments (so the Trainer keeps them)."""
    return split.select_columns(list(MODEL_COLUMNS)).rename_columns(
        {old: new for old, new in MODEL_COLUMNS.items() if old != new}
    )


def collate_puzzles(rows: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Stack rows of `to_model_columns` splits.

    Returns:
        `dict[str, torch.LongTensor]`: `input_ids` and `labels` of shape `(batch, seq_len)` (labels -100
        on unscored cells) and `puzzle_identifiers` of shape `(batch,)`.
    """
    return {
        "input_ids": torch.tensor([row["input_ids"] for row in rows], dtype=torch.long),
        "labels": torch.tensor([row["labels"] for row in rows], dtype=torch.long),
        "puzzle_identifiers": torch.tensor([row["puzzle_identifiers"] for row in rows], dtype=torch.long),
    }
