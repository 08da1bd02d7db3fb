"""Token-level scoring of predicted answers and grids: the one home of "every labelled position is
right" (token exact match) and of the fraction of labelled positions right (token accuracy).

`IGNORE_INDEX` and `token_exact_match` are defined beside the model (`modeling_trm/modeling_trm.py`):
its halting loss learns to predict exact match, and the model package ships to the Hub alone, so it
cannot import this one. The training code imports them from here. Every function takes PyTorch
tensors or NumPy arrays alike.
"""

from __future__ import annotations

import numpy as np
import torch

from modeling_trm.modeling_trm import IGNORE_INDEX, token_exact_match


def labelled_token_counts(
    predictions: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray
) -> tuple[torch.Tensor | np.ndarray, torch.Tensor | np.ndarray]:
    """How many labelled positions are right, and how many positions are labelled.

    Args:
        predictions (`torch.LongTensor` or `np.ndarray` of shape `(batch, length)`): Predicted token ids.
        labels (`torch.LongTensor` or `np.ndarray` of shape `(batch, length)`): Label ids,
            `IGNORE_INDEX` where not scored.

    Returns:
        `tuple`: `(right, labelled)`, two integer scalars of the inputs' kind (summable across steps
        or processes before dividing).
    """
    labelled = labels != IGNORE_INDEX
    return ((predictions == labels) & labelled).sum(), labelled.sum()


def token_accuracy(predictions: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray) -> float:
    """The fraction of labelled positions predicted right (0 when nothing is labelled)."""
    right, labelled = labelled_token_counts(predictions, labels)
    return int(right) / max(int(labelled), 1)


__all__ = ["IGNORE_INDEX", "labelled_token_counts", "token_accuracy", "token_exact_match"]
