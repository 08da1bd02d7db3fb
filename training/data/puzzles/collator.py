"""Batches for `TRMForPuzzles` from the puzzle record format (`common.py`), and the check that a model
can read a dataset's rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from datasets import Dataset
from transformers import PretrainedConfig

from .common import PuzzleMetadata

MODEL_COLUMNS = {"inputs": "input_ids", "labels": "labels", "puzzle_identifier": "puzzle_identifiers"}


def to_model_columns(split: Dataset) -> Dataset:
    """Keep the columns the model reads, named as its `forward` arguments (so the Trainer keeps them)."""
    return split.select_columns(list(MODEL_COLUMNS)).rename_columns(
        {old: new for old, new in MODEL_COLUMNS.items() if old != new}
    )


def check_model_fits(
    config: PretrainedConfig, metadata: PuzzleMetadata, model_source: str, dataset_source: str
) -> None:
    """Refuse a puzzle model config that cannot read a dataset's rows: another grid size or vocabulary, or
    a puzzle-embedding table without a row for every puzzle identifier.

    Raises:
        `ValueError`: Naming the model, the dataset and the mismatching fields with both values.
    """
    names = ("seq_len", "vocab_size")
    mismatched = [name for name in names if getattr(config, name) != getattr(metadata, name)]
    if config.puzzle_emb_len and config.num_puzzle_identifiers < metadata.num_puzzle_identifiers:
        mismatched.append("num_puzzle_identifiers")
    if mismatched:
        fields = ", ".join(
            f"{name}={getattr(config, name)} (the dataset's: {getattr(metadata, name)})"
            for name in mismatched
        )
        raise ValueError(f"The model {model_source} does not fit the dataset {dataset_source}: {fields}.")


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
