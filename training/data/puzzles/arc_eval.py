"""ARC evaluation: undo each prediction's augmentation, vote across augmentations, score pass@k per task.

As the TRM reference evaluator (`evaluators/arc.py`): a prediction is the model's output canvas
for one test row; it is cropped to its top-left grid, mapped back through the inverse of the row's
augmentation, and counted. For every test pair of a task, candidate grids are ranked by how many
augmented versions predicted them (ties: higher mean confidence, e.g. the halting probability, then
first seen); pass@k is whether the answer is among the top k. A task scores the fraction of its
test pairs passed (ARC's scoring); the overall score is the mean over tasks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset
from transformers.utils import logging

from .arc import TEST_TASKS_FILE, ArcAugmentation, decode_arc_grid

logger = logging.get_logger(__name__)


def load_test_tasks(directory: str | Path) -> dict[str, list[dict[str, list[list[int]]]]]:
    """Read the evaluation tasks' original test pairs saved beside an ARC dataset.

    Args:
        directory (`str` or `Path`): the dataset folder written by the ARC build.

    Returns:
        `dict[str, list[dict]]`: task id -> `[{"input": grid, "output": grid}, ...]`.
    """
    return json.loads((Path(directory) / TEST_TASKS_FILE).read_text())


def evaluate_arc(
    predictions: np.ndarray,
    records: Dataset | Mapping[str, Sequence[Any]],
    test_tasks: Mapping[str, Sequence[Mapping[str, Any]]],
    confidences: np.ndarray | None = None,
    ks: Sequence[int] = (1, 2),
) -> dict[str, Any]:
    """Score predictions on the ARC test split with voting over augmentations.

    Args:
        predictions (`np.ndarray` of shape `[N, 900]`): predicted token ids, one row per test record.
        records (`Dataset` or `Mapping[str, Sequence]`): the test split (columns `group`, `augmentation`,
            `pair_index` are read), aligned with `predictions`.
        test_tasks (`Mapping[str, Sequence[Mapping]]`): task id -> original test pairs with `output`
            (`load_test_tasks`).
        confidences (`np.ndarray` of shape `[N]`, *optional*): per-prediction confidence (e.g. sigmoid of the
            halting logit) breaking ties between equally voted grids.
        ks (`Sequence[int]`, defaults to `(1, 2)`): the k of pass@k.

    Returns:
        `dict[str, Any]`: `"pass@k"` (mean over tasks) for each k, `"num_tasks"`, `"num_test_pairs"`,
        `"num_empty_predictions"` (crops with no grid, not voted), and `"per_task"`: task id ->
        `{"pass@k": float, ..., "attempts": [[grid, ...] top max(ks) per test pair]}`.
    """
    if not test_tasks:
        raise ValueError("test_tasks is empty: nothing to score")
    predictions = np.asarray(predictions)
    groups, augmentations, pair_indices = records["group"], records["augmentation"], records["pair_index"]
    if not len(predictions) == len(groups) == len(augmentations) == len(pair_indices):
        raise ValueError(f"{len(predictions)} predictions for {len(groups)} records")
    if confidences is None:
        confidences = np.zeros(len(predictions))

    # (task, pair) -> grid bytes key -> [votes, summed confidence, first seen, grid]
    votes: dict[tuple[str, int], dict[bytes, list[Any]]] = {}
    empty = 0
    inverses: dict[str, ArcAugmentation] = {}
    for index, (task_id, augmentation, pair) in enumerate(
        zip(groups, augmentations, pair_indices, strict=True)
    ):
        grid = decode_arc_grid(predictions[index])
        if grid.size == 0:
            empty += 1
            continue
        if augmentation not in inverses:
            inverses[augmentation] = ArcAugmentation.from_string(augmentation)
        grid = inverses[augmentation].invert(grid)
        key = np.asarray(grid.shape, np.int64).tobytes() + grid.tobytes()
        candidates = votes.setdefault((task_id, int(pair)), {})
        entry = candidates.setdefault(key, [0, 0.0, index, grid])
        entry[0] += 1
        entry[1] += float(confidences[index])

    top = max(ks)
    per_task, missing = {}, 0
    for task_id, pairs in test_tasks.items():
        passed = {k: 0 for k in ks}
        attempts = []
        for pair_index, pair in enumerate(pairs):
            candidates = votes.get((task_id, pair_index), {})
            missing += not candidates
            ranked = sorted(
                candidates.values(), key=lambda entry: (-entry[0], -entry[1] / entry[0], entry[2])
            )
            answer = np.asarray(pair["output"], np.int8)
            for k in ks:
                passed[k] += any(np.array_equal(entry[3], answer) for entry in ranked[:k])
            attempts.append([entry[3].tolist() for entry in ranked[:top]])
        per_task[task_id] = {f"pass@{k}": passed[k] / len(pairs) for k in ks} | {"attempts": attempts}
    if missing:
        logger.warning(f"{missing} test pairs had no usable prediction (scored as failed)")

    results: dict[str, Any] = {
        f"pass@{k}": float(np.mean([task[f"pass@{k}"] for task in per_task.values()])) for k in ks
    }
    results.update(
        num_tasks=len(per_task),
        num_test_pairs=sum(len(pairs) for pairs in test_tasks.values()),
        num_empty_predictions=empty,
        per_task=per_task,
    )
    return results
