"""String exact match: a predicted answer is right only when it is the reference string, character for
character (the Mathematics Dataset's metric, Saxton et al. 2019: `"2.0"` does not answer `"2"`).

Distinct from the token-level `training.evaluation.exact_matches` (every labelled slot) and from
`gsm8k_accuracy` (the final numbers compared as decimals, so `"2.0"` answers `"2"`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def string_exact_matches(predictions: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """Whether each prediction equals its reference as a whole string (no normalisation).

    Args:
        predictions (`Sequence[str]`): Decoded answers, e.g. `["-5/16", "2.0"]`.
        references (`Sequence[str]`): The reference answers, as many as `predictions`, e.g. `["-5/16", "2"]`.

    Returns:
        `np.ndarray` of `bool`, one per pair, e.g. `[True, False]`.

    Raises:
        `ValueError`: When the two differ in length.
    """
    return np.array([p == r for p, r in zip(predictions, references, strict=True)], dtype=bool)


def accuracy_per_group(matches: Sequence[bool], groups: Sequence[str]) -> dict[str, dict[str, float | int]]:
    """The fraction of matches within each group (e.g. per Mathematics Dataset module).

    Args:
        matches (`Sequence[bool]`): Whether each example was answered right.
        groups (`Sequence[str]`): Each example's group, as many as `matches`.

    Returns:
        `dict[str, dict]`: Per group in sorted order, `{"accuracy": float, "num_examples": int}`.

    Raises:
        `ValueError`: When the two differ in length.
    """
    right: dict[str, int] = {}
    total: dict[str, int] = {}
    for match, group in zip(matches, groups, strict=True):
        right[group] = right.get(group, 0) + bool(match)
        total[group] = total.get(group, 0) + 1
    return {
        group: {"accuracy": right[group] / count, "num_examples": count}
        for group, count in sorted(total.items())
    }
