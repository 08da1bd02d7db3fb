"""Scores of predicted puzzle grids: whole-grid exact accuracy and per-cell token accuracy."""

from __future__ import annotations

import numpy as np
import torch
from transformers import EvalPrediction

from .token_match import token_accuracy, token_exact_match


def grid_scores(
    predictions: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray
) -> dict[str, float]:
    """Score predicted grids against the labels on the labelled cells.

    Args:
        predictions (`torch.LongTensor` or `np.ndarray` of shape `(num_grids, seq_len)`): Predicted grids.
        labels (`torch.LongTensor` or `np.ndarray` of shape `(num_grids, seq_len)`): Solved grids,
            `IGNORE_INDEX` on cells that are not scored.

    Returns:
        `dict[str, float]`: `exact_accuracy` (the fraction of grids with every labelled cell right, the
        token exact match) and `token_accuracy` (labelled cells right, over all labelled cells).
    """
    return {
        "exact_accuracy": int(token_exact_match(predictions, labels).sum()) / len(labels),
        "token_accuracy": token_accuracy(predictions, labels),
    }


def grid_accuracy(eval_prediction: EvalPrediction) -> dict[str, float]:
    """`compute_metrics` for puzzle training: [`grid_scores`] of the Trainer's evaluation.

    Args:
        eval_prediction (`EvalPrediction`): `predictions` and `label_ids` of shape `(num_grids, seq_len)`
            (the Trainer's evaluation with `TRMTrainer.prediction_step`, which runs `generate`).

    Returns:
        `dict[str, float]`: `exact_accuracy` and `token_accuracy`.
    """
    return grid_scores(np.asarray(eval_prediction.predictions), np.asarray(eval_prediction.label_ids))
