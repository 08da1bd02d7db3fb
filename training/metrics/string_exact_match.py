"""String exact match: a predicted answer is right only when it is the reference string, character for
character (the Mathematics Dataset's metric, Saxton et al. 2019: `"2.0"` does not answer `"2"`).

Distinct from the token-level `token_match.token_exact_match` (every labelled slot) and from
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
