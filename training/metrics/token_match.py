"""Token-level scoring of answer slots: the one definition of "every labelled position is right"."""

from __future__ import annotations

import numpy as np
import torch

IGNORE_INDEX = -100  # label of a padded answer slot


def token_exact_match(predictions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Whether each predicted answer equals its label on every labelled slot.

    Args:
        predictions (`torch.LongTensor` of shape `(batch, answer_length)`): Predicted token ids.
        labels (`torch.LongTensor` of shape `(batch, answer_length)`): Label ids, `-100` where padded.

    Returns:
        `torch.BoolTensor` of shape `(batch,)`.
    """
    return ((predictions == labels) | (labels == IGNORE_INDEX)).all(-1)


def token_exact_match_np(predictions: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """`token_exact_match` on NumPy arrays (the Trainer's `EvalPrediction`)."""
    return ((predictions == labels) | (labels == IGNORE_INDEX)).all(-1)
