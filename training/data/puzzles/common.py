"""Shared record format, metadata and grid helpers for the puzzle datasets.

Every puzzle dataset is a `datasets.DatasetDict` with one `Dataset` per split. Each row is one
example of one (augmented) puzzle:

| column | type | meaning |
|---|---|---|
| `inputs` | `list[int8]`, length `seq_len` | the puzzle grid, row-major token ids |
| `labels` | `list[int8]`, length `seq_len` | the solved grid; `IGNORE_INDEX` (-100) where not scored |
| `puzzle_identifier` | `int32` | row of the per-puzzle embedding table; 0 = blank |
| `source` | `string` | where the puzzle comes from (file stem, ARC subset, `generated`) |
| `group` | `string` | the un-augmented puzzle (Sudoku line, maze index, ARC task id) |
| `augmentation` | `string` | the transform applied, enough to invert it (`id` = none) |

Beside the splits, `metadata.json` (a `PuzzleMetadata`) holds what a model config needs.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from datasets import Dataset, DatasetDict, Features, List, Value, load_from_disk
from transformers.utils import logging

from modeling_trm import IGNORE_INDEX

logger = logging.get_logger(__name__)

PAD_ID = 0
BLANK_PUZZLE_ID = 0
METADATA_FILE = "metadata.json"

# Dihedral group of the square, numbered as in the HRM/TRM reference (`dataset/common.py`):
# 0 identity, 1-3 rotations by 90/180/270 degrees (counter-clockwise), 4 left-right flip,
# 5 up-down flip, 6 transpose, 7 anti-transpose.
NUM_DIHEDRAL = 8
DIHEDRAL_INVERSE = (0, 3, 2, 1, 4, 5, 6, 7)


@dataclass
class PuzzleMetadata:
    """What a model and trainer need to know about a built puzzle dataset (`metadata.json`).

    Args:
        puzzle (`str`): `"sudoku"`, `"maze"` or `"arc"`.
        seq_len (`int`): tokens per example (`rows * cols`).
        vocab_size (`int`): number of token ids, pad included.
        grid_shape (`list[int]`): `[rows, cols]` of the token grid.
        num_puzzle_identifiers (`int`): size of the per-puzzle embedding table, blank id 0 included.
        tokens (`dict[str, str]`): token id (as a string, JSON keys) -> meaning.
        num_examples (`dict[str, int]`): rows per split.
        config (`dict[str, Any]`): the build configuration (seed included), for reproduction.
        stats (`dict[str, Any]`, defaults to `{}`): measured facts of the build (pool sizes, path lengths).
        pad_id (`int`, defaults to 0): the padding token of `inputs`.
        ignore_label_id (`int`, defaults to -100): the `labels` value of positions that are not scored.
        blank_identifier_id (`int`, defaults to 0): the puzzle identifier that carries no puzzle.
    """

    puzzle: str
    seq_len: int
    vocab_size: int
    grid_shape: list[int]
    num_puzzle_identifiers: int
    tokens: dict[str, str]
    num_examples: dict[str, int]
    config: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)
    pad_id: int = PAD_ID
    ignore_label_id: int = IGNORE_INDEX
    blank_identifier_id: int = BLANK_PUZZLE_ID

    def save(self, directory: str | Path) -> Path:
        """Write the metadata as `directory/metadata.json`.

        Args:
            directory (`str` or `Path`): the dataset folder.

        Returns:
            `Path`: the written file.
        """
        path = Path(directory) / METADATA_FILE
        path.write_text(json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, directory: str | Path) -> PuzzleMetadata:
        """Read `directory/metadata.json`.

        Args:
            directory (`str` or `Path`): the dataset folder.

        Returns:
            `PuzzleMetadata`: the metadata.
        """
        path = Path(directory) / METADATA_FILE
        try:
            return cls(**json.loads(path.read_text()))
        except (TypeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not a puzzle metadata file ({error})") from error


@dataclass
class BuiltPuzzles:
    """A built puzzle dataset: its splits, its metadata and extra JSON files to save beside them.

    Args:
        splits (`DatasetDict`): one `Dataset` per split (`train`, `test`).
        metadata (`PuzzleMetadata`): what `metadata.json` will hold.
        attachments (`dict[str, Any]`, defaults to `{}`): file name -> JSON-serialisable object
            (ARC stores the answers of its test tasks as `test_tasks.json`).
    """

    splits: DatasetDict
    metadata: PuzzleMetadata
    attachments: dict[str, Any] = field(default_factory=dict)

    def save(self, directory: str | Path) -> Path:
        """Save the splits with `save_to_disk`, then `metadata.json` and the attachments beside them.

        Args:
            directory (`str` or `Path`): the output folder (created; `load_from_disk` reads it back).

        Returns:
            `Path`: the output folder.
        """
        directory = Path(directory)
        self.splits.save_to_disk(str(directory))
        self.metadata.save(directory)
        for name, content in self.attachments.items():
            (directory / name).write_text(json.dumps(content, separators=(",", ":")) + "\n")
        logger.info(f"Saved {self.metadata.puzzle} dataset {dict(self.metadata.num_examples)} to {directory}")
        return directory


def load_puzzle_dataset(directory: str | Path) -> tuple[DatasetDict, PuzzleMetadata]:
    """Load a dataset saved by `BuiltPuzzles.save` (or the `build` CLI).

    Args:
        directory (`str` or `Path`): the dataset folder.

    Returns:
        `tuple[DatasetDict, PuzzleMetadata]`: the splits and the metadata.

    Raises:
        `FileNotFoundError`: When the folder or its `metadata.json` does not exist.
        `ValueError`: When the folder holds no splits, or a split has no rows.
    """
    if not Path(directory).is_dir():
        raise FileNotFoundError(
            f"{directory}: no such puzzle dataset folder (`python -m training.data.puzzles.build` makes one)."
        )
    metadata = PuzzleMetadata.load(directory)
    # Checked before loading: `datasets` saves a split of no rows without data files and cannot load it back.
    empty = sorted(split for split, count in metadata.num_examples.items() if count == 0)
    if empty:
        raise ValueError(f"{Path(directory) / METADATA_FILE}: the puzzle dataset has no rows in {empty}.")
    splits = load_from_disk(str(directory))
    if not isinstance(splits, DatasetDict):
        raise ValueError(f"{directory}: expected a DatasetDict of splits, found a single Dataset")
    empty = sorted(name for name, split in splits.items() if len(split) == 0)
    if empty:
        raise ValueError(f"{directory}: the puzzle dataset has no rows in {empty}.")
    return splits, metadata


def make_split(
    inputs: np.ndarray,
    labels: np.ndarray,
    puzzle_identifiers: np.ndarray,
    source: Sequence[str],
    group: Sequence[str],
    augmentation: Sequence[str],
    extra_int_columns: Mapping[str, np.ndarray] | None = None,
) -> Dataset:
    """Build one split in the common record format straight from numpy arrays (no Python lists of ints).

    Args:
        inputs (`np.ndarray` of shape `[num_examples, seq_len]`): input token ids (fit in int8).
        labels (`np.ndarray` of shape `[num_examples, seq_len]`): label token ids or `IGNORE_INDEX`.
        puzzle_identifiers (`np.ndarray` of shape `[num_examples]`): per-puzzle embedding rows.
        source (`Sequence[str]`): per-example source.
        group (`Sequence[str]`): per-example un-augmented puzzle name.
        augmentation (`Sequence[str]`): per-example augmentation description.
        extra_int_columns (`Mapping[str, np.ndarray]`, *optional*): further int32 columns (ARC: `pair_index`).

    Returns:
        `Dataset`: the split.
    """
    num_examples, seq_len = inputs.shape
    if labels.shape != inputs.shape:
        raise ValueError(f"labels shape {labels.shape} differs from inputs shape {inputs.shape}")
    for name, column in (("source", source), ("group", group), ("augmentation", augmentation)):
        if len(column) != num_examples:
            raise ValueError(f"column {name!r} has {len(column)} rows, inputs have {num_examples}")
    extra_int_columns = dict(extra_int_columns or {})

    def token_column(array: np.ndarray) -> pa.Array:
        return pa.FixedSizeListArray.from_arrays(
            pa.array(np.ascontiguousarray(array, np.int8).reshape(-1)), seq_len
        )

    columns = {
        "inputs": token_column(inputs),
        "labels": token_column(labels),
        "puzzle_identifier": pa.array(np.asarray(puzzle_identifiers, np.int32)),
        "source": pa.array(list(source), pa.string()),
        "group": pa.array(list(group), pa.string()),
        "augmentation": pa.array(list(augmentation), pa.string()),
    }
    features = {
        "inputs": List(Value("int8"), length=seq_len),
        "labels": List(Value("int8"), length=seq_len),
        "puzzle_identifier": Value("int32"),
        "source": Value("string"),
        "group": Value("string"),
        "augmentation": Value("string"),
    }
    for name, column in extra_int_columns.items():
        columns[name] = pa.array(np.asarray(column, np.int32))
        features[name] = Value("int32")
    return Dataset.from_dict(columns, features=Features(features))


def dihedral_transform(grid: np.ndarray, transform: int) -> np.ndarray:
    """Apply one of the 8 symmetries of the square to the last two axes.

    Args:
        grid (`np.ndarray` of shape `[..., rows, cols]`): one grid or a batch of grids.
        transform (`int`): 0..7, numbered as in `DIHEDRAL_INVERSE`.

    Returns:
        `np.ndarray`: the transformed grid(s) (a view where numpy allows it).
    """
    if transform == 0:
        return grid
    if transform in (1, 2, 3):
        return np.rot90(grid, k=transform, axes=(-2, -1))
    if transform == 4:
        return np.flip(grid, axis=-1)
    if transform == 5:
        return np.flip(grid, axis=-2)
    if transform == 6:
        return np.swapaxes(grid, -1, -2)
    if transform == 7:
        return np.flip(np.rot90(grid, k=1, axes=(-2, -1)), axis=-1)
    raise ValueError(f"dihedral transform must be in 0..7, got {transform}")


def inverse_dihedral_transform(grid: np.ndarray, transform: int) -> np.ndarray:
    """Undo `dihedral_transform(grid, transform)`.

    Args:
        grid (`np.ndarray` of shape `[..., rows, cols]`): transformed grid(s).
        transform (`int`): the transform that was applied, 0..7.

    Returns:
        `np.ndarray`: the original grid(s).
    """
    if not 0 <= transform < NUM_DIHEDRAL:
        raise ValueError(f"dihedral transform must be in 0..7, got {transform}")
    return dihedral_transform(grid, DIHEDRAL_INVERSE[transform])
