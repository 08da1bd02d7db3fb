"""`compute_metrics` for puzzle grids: whole-grid (exact) and per-cell (token) accuracy."""

from __future__ import annotations

import numpy as np
from transformers import EvalPrediction

IGNORE_INDEX = -100


def grid_accuracy(eval_prediction: EvalPrediction) -> dict[str, float]:
    """Score predicted grids against the labels on the labelled cells.

    Args:
        eval_prediction (`EvalPrediction`): `predictions` and `label_ids` of shape `(num_grids, seq_len)`
            (the Trainer's evaluation with `TRMTrainer.prediction_step`, which runs `generate`).

    Returns:
        `dict[str, float]`: `exact_accuracy` (every labelled cell right) and `token_accuracy` (labelled
        cells right, over all labelled cells).
    """
    predictions, labels = np.asarray(eval_prediction.predictions), np.asarray(eval_prediction.label_ids)
    valid = labels != IGNORE_INDEX
    right = predictions == labels
    return {
        "exact_accuracy": float((right | ~valid).all(-1).mean()),
        "token_accuracy": float((right & valid).sum() / max(int(valid.sum()), 1)),
    }
