"""The Mathematics Dataset's arithmetic modules (Saxton et al., 2019) as `datasets.Dataset`s of records.

A record has `id` (`"mathematics-<file>-<0-based line>"`), `question`, `answer` (the string as given:
an integer, a decimal `"-4.62196"` or a fraction `"-5/16"`), `target` (the answer: the data set has
final answers only), `source` (`"mathematics/<module>"`), `module` and `difficulty` (`easy`,
`medium`, `hard` in training, `test` in the two test files).

Splits: `train` and `validation` (a fixed slice of `train.jsonl`, 100 rows per module and difficulty,
for model selection), `interpolate` and `extrapolate` (the paper's two test sets, for evaluation
only). Extrapolation modules carry a suffix (`_big`, `_longer`); `train_module` maps them to the
module they test, and a module filter accepts either name.

`max_examples` draws the same way on every split: an even share per (module, difficulty) group, each
a seeded sample kept in file order. `train.jsonl` is ordered by difficulty, so its first rows are
all easy.

Every line is validated; a malformed one is an error naming the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets
import numpy as np
from transformers.utils import logging

logger = logging.get_logger(__name__)

DEFAULT_MATHEMATICS_PATH = "../shared/data/mathematics-dataset"
FILE_SPLITS = ("train", "interpolate", "extrapolate")
SPLITS = ("train", "validation", "interpolate", "extrapolate")
DIFFICULTIES = {"train": ("easy", "medium", "hard"), "interpolate": ("test",), "extrapolate": ("test",)}
FIELDS = ("module", "split", "difficulty", "question", "answer")
EXTRAPOLATION_SUFFIXES = ("_big", "_longer")
VALIDATION_PER_GROUP = 100
VALIDATION_SEED = 0


def train_module(module: str) -> str:
    """The training module that an extrapolation module tests; other modules map to themselves.

    Args:
        module (`str`): E.g. `"arithmetic__add_or_sub_big"` or `"arithmetic__mixed_longer"`.

    Returns:
        `str`: E.g. `"arithmetic__add_or_sub"` or `"arithmetic__mixed"`.
    """
    for suffix in EXTRAPOLATION_SUFFIXES:
        if module.endswith(suffix):
            return module[: -len(suffix)]
    return module


def _check_row(row: Any, file_split: str, where: str) -> None:
    """Raise a `ValueError` starting with `where` unless `row` is a usable row of a `file_split` file."""
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(row).__name__}")
    for field in FIELDS:
        if not isinstance(row.get(field), str):
            raise ValueError(f"{where}: missing or non-string field {field!r}")
    for field in ("module", "question", "answer"):
        if not row[field].strip():
            raise ValueError(f"{where}: empty field {field!r}")
    if row["split"] not in FILE_SPLITS:
        raise ValueError(f"{where}: unknown split {row['split']!r}; expected one of {FILE_SPLITS}")
    if row["split"] != file_split:
        raise ValueError(f"{where}: a row of split {row['split']!r} in the {file_split!r} file")
    if row["difficulty"] not in DIFFICULTIES[file_split]:
        allowed = DIFFICULTIES[file_split]
        raise ValueError(f"{where}: difficulty {row['difficulty']!r}; the {file_split!r} file has {allowed}")


def read_mathematics_file(path: str | Path, file_split: str) -> dict[str, list]:
    """Every row of one Mathematics Dataset JSON Lines file, validated.

    Args:
        path (`str | Path`): E.g. `".../train.jsonl"`.
        file_split (`str`): The split its rows must name: `"train"`, `"interpolate"` or `"extrapolate"`.

    Returns:
        `dict[str, list]`: Columns `module`, `difficulty`, `question`, `answer` and `line` (0-based).

    Raises:
        `ValueError`: Naming the file and (1-based) line of the first bad line: malformed JSON, a
            missing, non-string or empty field, or a split or difficulty that does not belong there.
    """
    path = Path(path)
    columns: dict[str, list] = {"module": [], "difficulty": [], "question": [], "answer": [], "line": []}
    with path.open(encoding="utf-8") as handle:
        for line, text in enumerate(handle):
            where = f"{path}:{line + 1}"
            try:
                row = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f"{where}: malformed JSON ({error.msg})") from error
            _check_row(row, file_split, where)
            for field in ("module", "difficulty", "question", "answer"):
                columns[field].append(row[field])
            columns["line"].append(line)
    if not columns["line"]:
        raise ValueError(f"{path}: no rows")
    return columns


def _groups(columns: dict[str, list], keep: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """The kept row indices per (module, difficulty), groups in sorted order, rows in file order."""
    keys = list(zip(columns["module"], columns["difficulty"], strict=True))
    groups: dict[tuple[str, str], list[int]] = {}
    for index in np.flatnonzero(keep):
        groups.setdefault(keys[index], []).append(index)
    return {key: np.array(groups[key]) for key in sorted(groups)}


def _sample(rows: np.ndarray, count: int, seed: int, key: tuple[str, str]) -> np.ndarray:
    """A seeded sample of `count` of `rows`, in file order; the group's name is part of the seed, so a
    group draws the same rows whatever other groups are loaded."""
    if count >= len(rows):
        return rows
    rng = np.random.default_rng([seed, *"/".join(key).encode()])
    return np.sort(rng.choice(rows, size=count, replace=False))


def load_mathematics(
    path: str | Path = DEFAULT_MATHEMATICS_PATH,
    split: str = "train",
    target: str = "final",
    modules: Sequence[str] | None = None,
    max_examples: int | None = None,
    seed: int = 0,
) -> datasets.Dataset:
    """Mathematics Dataset records of one split.

    Args:
        path (`str | Path`, defaults to `"../shared/data/mathematics-dataset"`): The folder holding
            `train.jsonl`, `interpolate.jsonl` and `extrapolate.jsonl`.
        split (`str`, defaults to `"train"`): `"train"` (train.jsonl without the validation rows),
            `"validation"` (`VALIDATION_PER_GROUP` seeded rows of train.jsonl per module and
            difficulty), `"interpolate"` or `"extrapolate"`.
        target (`str`, defaults to `"final"`): Only `"final"`: the data has no equation chains.
        modules (`Sequence[str]`, *optional*): Keep these modules only; an extrapolation module is
            also kept when its training module is named (`arithmetic__add_or_sub` keeps
            `arithmetic__add_or_sub_big`). Default (`None` or empty): all.
        max_examples (`int`, *optional*): At most this many records: an even share per (module,
            difficulty) group (the first groups in sorted order take the remainder), each a sample
            seeded by `seed` and the group's name, in file order. Default: all.
        seed (`int`, defaults to `0`): Seed of the `max_examples` sample.

    Returns:
        `datasets.Dataset` with columns `id`, `question`, `answer`, `target`, `source`, `module`,
        `difficulty`, in file order.

    Raises:
        `ValueError`: On an unknown split or target, `target="equations"`, a module name matching
            no row of the split, or a bad line (naming file and line).
    """
    if split not in SPLITS:
        raise ValueError(f"Mathematics Dataset split must be one of {SPLITS}, got {split!r}")
    if target == "equations":
        raise ValueError(
            "The Mathematics Dataset has final answers only, no equation chains: use target='final'."
        )
    if target != "final":
        raise ValueError(f"Mathematics Dataset target must be 'final', got {target!r}")
    if max_examples is not None and max_examples < 0:
        raise ValueError(f"max_examples must be at least 0, got {max_examples}")
    file_split = "train" if split == "validation" else split
    columns = read_mathematics_file(Path(path) / f"{file_split}.jsonl", file_split)

    keep = np.ones(len(columns["line"]), dtype=bool)
    if file_split == "train":
        # The validation rows are drawn from the whole file, so module filters never move them.
        validation = np.zeros_like(keep)
        for key, rows in _groups(columns, keep).items():
            validation[_sample(rows, VALIDATION_PER_GROUP, VALIDATION_SEED, key)] = True
        keep = validation if split == "validation" else ~validation
    if modules:
        present = sorted(set(columns["module"]))
        unknown = [name for name in modules if not any(name in (m, train_module(m)) for m in present)]
        if unknown:
            raise ValueError(f"No {split!r} module named {unknown}; the split has {present}")
        wanted = set(modules)
        keep &= np.array([m in wanted or train_module(m) in wanted for m in columns["module"]])
    selected = np.flatnonzero(keep)
    if max_examples is not None:
        groups = _groups(columns, keep)
        share, remainder = divmod(max_examples, len(groups))
        samples = [
            _sample(rows, share + (i < remainder), seed, key) for i, (key, rows) in enumerate(groups.items())
        ]
        selected = np.sort(np.concatenate(samples))
    take = selected.tolist()
    logger.info(
        f"Mathematics Dataset {split}: {len(take)} of the {len(keep)} rows of {file_split}.jsonl "
        f"(modules: {list(modules) if modules else 'all'}, max_examples: {max_examples})."
    )
    module = [columns["module"][i] for i in take]
    answer = [columns["answer"][i] for i in take]
    return datasets.Dataset.from_dict(
        {
            "id": [f"mathematics-{file_split}-{columns['line'][i]}" for i in take],
            "question": [columns["question"][i] for i in take],
            "answer": answer,
            "target": answer,
            "source": [f"mathematics/{name}" for name in module],
            "module": module,
            "difficulty": [columns["difficulty"][i] for i in take],
        }
    )
