"""ARC-AGI datasets (ARC-AGI-1, ARC-AGI-2, ConceptARC), as in the TRM reference `build_arc_dataset.py`.

Tokens: 0 = pad, 1 = end-of-grid border, 2..11 = colours 0..9 (vocab 12). A grid (at most 30x30)
is placed in a 30x30 canvas, at the top-left (or, in training, at a random offset), with a
border of 1s on the row just below it and the column just right of it (where the canvas has
room). `labels` repeat the output canvas with pad positions set to -100 (not scored).

Splits (the reference's): `train` holds every pair of the training tasks and the demonstration
(train) pairs of the evaluation tasks; `test` holds the test pairs of the evaluation tasks.
Every task is augmented `num_aug` times (a dihedral transform and a permutation of colours 1..9,
colour 0 = background fixed; augmented versions that coincide are dropped). Each (task,
augmentation) gets its own `puzzle_identifier` (0 = blank), shared by its train and test rows, so
the puzzle embedding learned from an evaluation task's demonstrations is the one used on its test
inputs. `arc_eval.evaluate_arc` inverts the augmentations and votes.

Leakage: ARC-AGI-2 training reuses ids of 391 ARC-AGI-1 training and 376 ARC-AGI-1 evaluation
tasks, and 6 ARC-AGI-2 evaluation ids occur in ARC-AGI-1. A training task is dropped when its id
is an evaluation task id, or when one of its pairs equals (input and output) a test pair of an
evaluation task.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict, concatenate_datasets
from transformers.utils import logging

from modeling_trm import IGNORE_INDEX

from .common import (
    NUM_DIHEDRAL,
    PAD_ID,
    BuiltPuzzles,
    PuzzleMetadata,
    dihedral_transform,
    inverse_dihedral_transform,
    make_split,
)

logger = logging.get_logger(__name__)

ARC_DATA_DIR = "../shared/data"
ARC_GRID_SIZE = 30
NUM_COLOURS = 10
EOS_ID = 1
COLOUR_OFFSET = 2  # colour c -> token c + 2
ARC_TOKENS = {
    "0": "pad",
    "1": "end of grid",
    **{str(c + COLOUR_OFFSET): f"colour {c}" for c in range(NUM_COLOURS)},
}
PRESETS = {
    "arc-agi-1": (["arc-agi-1/training", "conceptarc/corpus"], "arc-agi-1/evaluation"),
    "arc-agi-2": (["arc-agi-2/training", "conceptarc/corpus"], "arc-agi-2/evaluation"),
}
TEST_TASKS_FILE = "test_tasks.json"
# Random draws per wanted augmentation before accepting fewer distinct ones (the reference's factor).
AUGMENT_RETRIES_FACTOR = 5
# Tasks whose rows are turned into one Arrow chunk at a time (bounds peak memory for large num_aug).
TASKS_PER_CHUNK = 32


@dataclass
class ArcConfig:
    """How to build an ARC dataset.

    Args:
        version (`str`, defaults to `"arc-agi-1"`): preset of training and evaluation subsets, `"arc-agi-1"`
            or `"arc-agi-2"`.
        data_dir (`str`, defaults to `"../shared/data"`): folder holding `<subset>.json` files.
        training (`list[str]`, *optional*): training subsets (`"arc-agi-2/training"`, ...); default: the
            preset's (the version's training tasks plus ConceptARC).
        evaluation (`str`, *optional*): the evaluation subset; default: the preset's.
        num_aug (`int`, defaults to 1000): augmentations per task besides the original (the reference's 1000).
        translate (`bool`, defaults to `True`): place training grids at random offsets (all but one random
            pair per task version stay top-left, as the reference).
        seed (`int`, defaults to 0): seed of every random choice.
    """

    version: str = field(default="arc-agi-1", metadata={"help": "Preset: arc-agi-1 or arc-agi-2."})
    data_dir: str = field(default=ARC_DATA_DIR, metadata={"help": "Folder with <subset>.json files."})
    training: list[str] | None = field(default=None, metadata={"help": "Training subsets (default: preset)."})
    evaluation: str | None = field(default=None, metadata={"help": "Evaluation subset (default: preset)."})
    num_aug: int = field(default=1000, metadata={"help": "Augmentations per task."})
    translate: bool = field(default=True, metadata={"help": "Random offsets for training grids."})
    seed: int = field(default=0, metadata={"help": "Random seed."})

    def __post_init__(self) -> None:
        if self.version not in PRESETS:
            raise ValueError(f"version must be one of {tuple(PRESETS)}, got {self.version!r}")
        if self.num_aug < 0:
            raise ValueError(f"num_aug must be >= 0, got {self.num_aug}")
        training, evaluation = PRESETS[self.version]
        self.training = list(training if self.training is None else self.training)
        self.evaluation = evaluation if self.evaluation is None else self.evaluation
        if self.evaluation in self.training:
            raise ValueError(f"evaluation subset {self.evaluation!r} is also listed in training")


@dataclass
class ArcTask:
    """One ARC task.

    Args:
        task_id (`str`): the upstream file name without `.json`.
        source (`str`): the subset it was read from (`"arc-agi-1/training"`).
        train (`list[tuple[np.ndarray, np.ndarray]]`): demonstration (input, output) grids.
        test (`list[tuple[np.ndarray, np.ndarray]]`): test (input, output) grids.
    """

    task_id: str
    source: str
    train: list[tuple[np.ndarray, np.ndarray]]
    test: list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class ArcAugmentation:
    """A dihedral transform after a colour permutation that keeps colour 0.

    Args:
        dihedral (`int`): 0..7, numbered as `common.dihedral_transform`.
        colours (`tuple[int, ...]`): `colours[c]` is the new colour of old colour `c`; `colours[0] == 0`.
    """

    dihedral: int
    colours: tuple[int, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.dihedral < NUM_DIHEDRAL:
            raise ValueError(f"dihedral must be in 0..7, got {self.dihedral}")
        if sorted(self.colours) != list(range(NUM_COLOURS)) or self.colours[0] != 0:
            raise ValueError(f"colours must permute 0..9 keeping 0, got {self.colours}")

    @classmethod
    def identity(cls) -> ArcAugmentation:
        """The augmentation that changes nothing."""
        return cls(0, tuple(range(NUM_COLOURS)))

    @classmethod
    def random(cls, rng: np.random.Generator) -> ArcAugmentation:
        """A uniformly random dihedral transform and permutation of colours 1..9.

        Args:
            rng (`np.random.Generator`): randomness.

        Returns:
            `ArcAugmentation`: the augmentation.
        """
        dihedral = int(rng.integers(NUM_DIHEDRAL))
        return cls(dihedral, (0, *(1 + rng.permutation(NUM_COLOURS - 1)).tolist()))

    @classmethod
    def from_string(cls, text: str) -> ArcAugmentation:
        """Parse `to_string`'s form, e.g. `"t3|0716253849"`.

        Args:
            text (`str`): the description.

        Returns:
            `ArcAugmentation`: the augmentation.
        """
        try:
            dihedral, colours = text.split("|")
            return cls(int(dihedral.removeprefix("t")), tuple(int(c) for c in colours))
        except ValueError as error:
            raise ValueError(f"not an ARC augmentation description: {text!r} ({error})") from error

    def to_string(self) -> str:
        """`"t{dihedral}|{colours}"`, e.g. `"t3|0716253849"` (old colour c becomes the c-th digit)."""
        return f"t{self.dihedral}|{''.join(map(str, self.colours))}"

    def apply(self, grid: np.ndarray) -> np.ndarray:
        """Augment a grid of colours.

        Args:
            grid (`np.ndarray` of shape `[rows, cols]`): colours 0..9.

        Returns:
            `np.ndarray`: the recoloured, transformed grid.
        """
        return np.ascontiguousarray(
            dihedral_transform(np.asarray(self.colours, np.int8)[grid], self.dihedral)
        )

    def invert(self, grid: np.ndarray) -> np.ndarray:
        """Undo `apply`.

        Args:
            grid (`np.ndarray` of shape `[rows, cols]`): an augmented grid of colours 0..9.

        Returns:
            `np.ndarray`: the original grid.
        """
        inverse = np.argsort(self.colours).astype(np.int8)
        return np.ascontiguousarray(inverse[inverse_dihedral_transform(grid, self.dihedral)])


def parse_arc_grid(value: Any, where: str) -> np.ndarray:
    """Check and convert a JSON grid (list of rows of ints 0..9, 1x1 to 30x30).

    Args:
        value (`Any`): the JSON value.
        where (`str`): where it was read, for the error message (file, task id, pair).

    Returns:
        `np.ndarray` of shape `[rows, cols]`, int8.

    Raises:
        ValueError: naming `where` when the grid is not a non-empty rectangle of ints 0..9 within 30x30.
    """
    if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
        raise ValueError(f"{where}: a grid must be a non-empty list of rows")
    width = len(value[0])
    for index, row in enumerate(value):
        if len(row) != width or not row:
            raise ValueError(f"{where}: row {index} has {len(row)} cells, row 0 has {width}")
        for cell in row:
            if not isinstance(cell, int) or isinstance(cell, bool) or not 0 <= cell < NUM_COLOURS:
                raise ValueError(f"{where}: row {index} holds {cell!r}, colours are ints 0..9")
    if len(value) > ARC_GRID_SIZE or width > ARC_GRID_SIZE:
        raise ValueError(
            f"{where}: grid is {len(value)}x{width}, at most {ARC_GRID_SIZE}x{ARC_GRID_SIZE} allowed"
        )
    return np.asarray(value, np.int8)


def load_arc_tasks(path: str | Path, source: str) -> dict[str, ArcTask]:
    """Read a JSON object mapping task id -> `{"train": [...], "test": [...]}` of `input`/`output` pairs.

    Args:
        path (`str` or `Path`): the file.
        source (`str`): the subset name stored with each task.

    Returns:
        `dict[str, ArcTask]`: tasks by id.

    Raises:
        ValueError: naming the file, task id and pair of anything malformed, e.g. a task with no test pair.
    """
    path = Path(path)
    try:
        content = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}:{error.lineno}: invalid JSON ({error.msg})") from error
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a JSON object mapping task ids to tasks")
    tasks = {}
    for task_id, task in content.items():
        if not isinstance(task, dict):
            raise ValueError(f"{path}: task {task_id!r} is not an object")
        kinds = {}
        for kind in ("train", "test"):
            pairs = task.get(kind)
            if not isinstance(pairs, list) or not pairs:
                raise ValueError(f"{path}: task {task_id!r} has no {kind} pair")
            kinds[kind] = []
            for index, pair in enumerate(pairs):
                where = f"{path}: task {task_id!r}, {kind} pair {index}"
                if not isinstance(pair, dict) or "input" not in pair or "output" not in pair:
                    raise ValueError(f"{where}: needs 'input' and 'output'")
                kinds[kind].append(
                    (parse_arc_grid(pair["input"], where), parse_arc_grid(pair["output"], where))
                )
        tasks[task_id] = ArcTask(task_id, source, kinds["train"], kinds["test"])
    return tasks


def _pair_key(pair: tuple[np.ndarray, np.ndarray]) -> bytes:
    """Hashable identity of an (input, output) pair: shapes and cells."""
    digest = hashlib.sha256()
    for grid in pair:
        digest.update(np.asarray(grid.shape, np.int64).tobytes())
        digest.update(np.ascontiguousarray(grid, np.int8).tobytes())
    return digest.digest()


def select_training_tasks(
    training: Sequence[dict[str, ArcTask]], evaluation: dict[str, ArcTask]
) -> tuple[list[ArcTask], dict[str, int]]:
    """Remove leaks from the training tasks: drop a task whose id is an evaluation task id, or one holding a
    pair equal to an evaluation test pair; of tasks repeated (same id) across training subsets keep the first.

    Args:
        training (`Sequence[dict[str, ArcTask]]`): the training subsets, in priority order.
        evaluation (`dict[str, ArcTask]`): the evaluation tasks.

    Returns:
        `tuple[list[ArcTask], dict[str, int]]`: the kept tasks, and counts of what was dropped and why.
    """
    test_pairs = {_pair_key(pair) for task in evaluation.values() for pair in task.test}
    kept, seen = [], set()
    stats = {"dropped_same_id_as_evaluation": 0, "dropped_evaluation_test_pair": 0, "dropped_repeated_id": 0}
    for subset in training:
        for task_id in sorted(subset):
            task = subset[task_id]
            if task_id in evaluation:
                stats["dropped_same_id_as_evaluation"] += 1
            elif any(_pair_key(pair) in test_pairs for pair in task.train + task.test):
                stats["dropped_evaluation_test_pair"] += 1
                logger.warning(
                    f"Dropped training task {task.source}/{task_id}: it holds an evaluation test pair"
                )
            elif task_id in seen:
                stats["dropped_repeated_id"] += 1
            else:
                seen.add(task_id)
                kept.append(task)
    logger.info(f"Training tasks kept: {len(kept)}; dropped: {stats}")
    return kept, stats


def augment_task(
    task: ArcTask, num_aug: int, rng: np.random.Generator
) -> list[tuple[ArcAugmentation, list[tuple[np.ndarray, np.ndarray]]]]:
    """The identity plus up to `num_aug` random augmentations giving pairwise different versions of the task.

    Args:
        task (`ArcTask`): the task (all its pairs decide whether two versions coincide).
        num_aug (`int`): wanted augmentations besides the identity.
        rng (`np.random.Generator`): randomness.

    Returns:
        `list[tuple[ArcAugmentation, list[tuple[np.ndarray, np.ndarray]]]]`: each augmentation with the
        augmented pairs (train pairs, then test pairs); identity first. Shorter than `num_aug + 1` for tasks
        with few distinct versions (e.g. one or two colours and symmetric grids).
    """
    pairs = task.train + task.test
    versions = [(ArcAugmentation.identity(), pairs)]
    seen = {b"".join(_pair_key(pair) for pair in pairs)}
    for _ in range(AUGMENT_RETRIES_FACTOR * num_aug):
        if len(versions) > num_aug:
            break
        augmentation = ArcAugmentation.random(rng)
        augmented = [(augmentation.apply(i), augmentation.apply(o)) for i, o in pairs]
        key = b"".join(_pair_key(pair) for pair in augmented)
        if key not in seen:
            seen.add(key)
            versions.append((augmentation, augmented))
    return versions


def encode_arc_grid(grid: np.ndarray, offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Place a colour grid in the 30x30 token canvas with its end-of-grid border.

    Args:
        grid (`np.ndarray` of shape `[rows, cols]`): colours 0..9.
        offset (`tuple[int, int]`, defaults to `(0, 0)`): top-left corner of the grid in the canvas.

    Returns:
        `np.ndarray` of shape `[900]`, int8: pad 0, border 1, colours 2..11.
    """
    rows, cols = grid.shape
    top, left = offset
    canvas = np.full((ARC_GRID_SIZE, ARC_GRID_SIZE), PAD_ID, np.int8)
    canvas[top : top + rows, left : left + cols] = grid + COLOUR_OFFSET
    if top + rows < ARC_GRID_SIZE:
        canvas[top + rows, left : left + cols] = EOS_ID
    if left + cols < ARC_GRID_SIZE:
        canvas[top : top + rows, left + cols] = EOS_ID
    return canvas.reshape(-1)


def decode_arc_grid(tokens: np.ndarray) -> np.ndarray:
    """Read a grid back from a top-left placed canvas (a prediction): the largest top-left rectangle of colour
    tokens, growing rows while the run of colours from the left stays long enough (the reference's crop).

    Args:
        tokens (`np.ndarray` of shape `[900]` or `[30, 30]`): token ids.

    Returns:
        `np.ndarray` of shape `[rows, cols]`, int8 colours; `[0, 0]` when the top-left token is no colour.
    """
    canvas = np.asarray(tokens).reshape(ARC_GRID_SIZE, ARC_GRID_SIZE)
    is_colour = (canvas >= COLOUR_OFFSET) & (canvas < COLOUR_OFFSET + NUM_COLOURS)
    # Per row, the length of the run of colours starting at column 0.
    runs = np.where(is_colour.all(1), ARC_GRID_SIZE, np.argmin(is_colour, axis=1))
    widths = np.minimum.accumulate(runs)
    areas = widths * np.arange(1, ARC_GRID_SIZE + 1)
    rows = int(np.argmax(areas)) + 1
    cols = int(widths[rows - 1])
    if cols == 0:
        return np.zeros((0, 0), np.int8)
    return (canvas[:rows, :cols] - COLOUR_OFFSET).astype(np.int8)


def _encode_pairs(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]], translate: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Encode (input, output) pairs: inputs `[P, 900]`, labels `[P, 900]` with pad -> -100.

    With `translate`, every pair but one (drawn at random) goes to a random offset where both grids fit.
    """
    anchor = int(rng.integers(len(pairs))) if translate else -1
    inputs, labels = [], []
    for index, (grid_in, grid_out) in enumerate(pairs):
        offset = (0, 0)
        if translate and index != anchor:
            room_rows = ARC_GRID_SIZE - max(grid_in.shape[0], grid_out.shape[0])
            room_cols = ARC_GRID_SIZE - max(grid_in.shape[1], grid_out.shape[1])
            offset = (int(rng.integers(room_rows + 1)), int(rng.integers(room_cols + 1)))
        inputs.append(encode_arc_grid(grid_in, offset))
        label = encode_arc_grid(grid_out, offset)
        labels.append(np.where(label == PAD_ID, IGNORE_INDEX, label))
    return np.stack(inputs), np.stack(labels)


class _SplitWriter:
    """Collects the rows of one split and turns them into an Arrow chunk every `TASKS_PER_CHUNK` tasks."""

    def __init__(self) -> None:
        self.chunks: list[Dataset] = []
        self.rows: dict[str, list] = {}
        self.tasks = 0

    def add(
        self, inputs: np.ndarray, labels: np.ndarray, identifier: int, task: ArcTask, augmentation: str
    ) -> None:
        """Queue the encoded pairs of one task version (`pair_index` counts from 0)."""
        count = len(inputs)
        for name, values in (
            ("inputs", [inputs]),
            ("labels", [labels]),
            ("puzzle_identifier", [identifier] * count),
            ("source", [task.source] * count),
            ("group", [task.task_id] * count),
            ("augmentation", [augmentation] * count),
            ("pair_index", list(range(count))),
        ):
            self.rows.setdefault(name, []).extend(values)

    def end_task(self) -> None:
        """Mark the end of a task; converts the queued rows every `TASKS_PER_CHUNK` tasks."""
        self.tasks += 1
        if self.tasks % TASKS_PER_CHUNK == 0:
            self._flush()

    def _flush(self) -> None:
        if not self.rows:
            return
        self.chunks.append(
            make_split(
                inputs=np.concatenate(self.rows["inputs"]),
                labels=np.concatenate(self.rows["labels"]),
                puzzle_identifiers=np.asarray(self.rows["puzzle_identifier"]),
                source=self.rows["source"],
                group=self.rows["group"],
                augmentation=self.rows["augmentation"],
                extra_int_columns={"pair_index": np.asarray(self.rows["pair_index"])},
            )
        )
        self.rows = {}

    def dataset(self) -> Dataset:
        """All rows as one `Dataset`."""
        self._flush()
        return concatenate_datasets(self.chunks)


def build_arc(config: ArcConfig) -> BuiltPuzzles:
    """Build the ARC train/test splits and the answers of the test tasks (`test_tasks.json`).

    Rows carry `pair_index`: in `train`, the index into the task's train pairs followed by its test pairs; in
    `test`, the index into the evaluation task's test pairs.

    Args:
        config (`ArcConfig`): what to build.

    Returns:
        `BuiltPuzzles`: splits `train` and `test`, metadata, and the `test_tasks.json` attachment
        (`{task_id: [{"input": grid, "output": grid}, ...]}`, the evaluation tasks' original test pairs).
    """
    rng = np.random.default_rng(config.seed)
    data_dir = Path(config.data_dir)
    evaluation = load_arc_tasks(data_dir / f"{config.evaluation}.json", config.evaluation)
    training_subsets = [load_arc_tasks(data_dir / f"{name}.json", name) for name in config.training]
    training, stats = select_training_tasks(training_subsets, evaluation)

    train_writer, test_writer = _SplitWriter(), _SplitWriter()
    next_identifier = 1  # 0 is the blank identifier
    short_tasks = 0
    for task in training + [evaluation[task_id] for task_id in sorted(evaluation)]:
        versions = augment_task(task, config.num_aug, rng)
        short_tasks += len(versions) < config.num_aug + 1
        is_evaluation = task.source == config.evaluation
        for augmentation, pairs in versions:
            description = augmentation.to_string()
            # Evaluation tasks show only their demonstrations in training; their test pairs are the test set.
            train_pairs = pairs[: len(task.train)] if is_evaluation else pairs
            train_writer.add(
                *_encode_pairs(train_pairs, config.translate, rng), next_identifier, task, description
            )
            if is_evaluation:
                test_pairs = pairs[len(task.train) :]
                test_writer.add(*_encode_pairs(test_pairs, False, rng), next_identifier, task, description)
            next_identifier += 1
        train_writer.end_task()
        test_writer.end_task()
    if short_tasks:
        logger.info(f"{short_tasks} tasks have fewer than {config.num_aug} distinct augmentations")

    splits = DatasetDict(train=train_writer.dataset(), test=test_writer.dataset())
    stats.update(
        training_tasks=len(training),
        evaluation_tasks=len(evaluation),
        tasks_with_fewer_augmentations=short_tasks,
    )
    metadata = PuzzleMetadata(
        puzzle="arc",
        seq_len=ARC_GRID_SIZE * ARC_GRID_SIZE,
        vocab_size=len(ARC_TOKENS),
        grid_shape=[ARC_GRID_SIZE, ARC_GRID_SIZE],
        num_puzzle_identifiers=next_identifier,
        tokens=dict(ARC_TOKENS),
        num_examples={name: len(split) for name, split in splits.items()},
        config=asdict(config),
        stats=stats,
    )
    test_tasks = {
        task_id: [{"input": i.tolist(), "output": o.tolist()} for i, o in evaluation[task_id].test]
        for task_id in sorted(evaluation)
    }
    return BuiltPuzzles(splits=splits, metadata=metadata, attachments={TEST_TASKS_FILE: test_tasks})
