"""Maze-Hard style datasets, generated here.

A maze is a square grid of walls and open cells with a start and a goal. The input shows the
maze; the label is the same grid with the cells of the shortest path between start and goal
(start and goal excluded) marked as `path`. Tokens follow the reference charset `"# SGo"`
(HRM/TRM `build_maze_dataset.py`): 0 = pad (unused, grids are full), 1 = wall, 2 = open,
3 = start, 4 = goal, 5 = path; vocab 6.

Generation: a perfect maze by randomised depth-first search on the lattice of even coordinates
(cells at rows/columns 0, 2, 4, ...; the walls between two lattice cells are the cells between
them; for an even size the last row and column stay wall), then each remaining wall between two
lattice cells is opened with probability `loop_prob` (loops, so a path is not the only route).
The start is a random open cell; the goal is drawn among the open cells whose BFS distance from
the start is at least `min_path_length` and that are reached by exactly one shortest path (so the
label is unambiguous). A maze with no such cell is redrawn. "Hard" = the path-length threshold:
HRM's Maze-Hard keeps 30x30 mazes with shortest paths longer than 110; the default here scales
that fraction of the cells (`ceil(0.125 * size**2)`: 113 for 30x30, 13 for 10x10).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass, field

import numpy as np
from datasets import DatasetDict
from transformers.utils import logging

from .common import (
    BLANK_PUZZLE_ID,
    NUM_DIHEDRAL,
    BuiltPuzzles,
    PuzzleMetadata,
    dihedral_transform,
    make_split,
)

logger = logging.get_logger(__name__)

WALL, OPEN, START, GOAL, PATH = 1, 2, 3, 4, 5
MAZE_TOKENS = {"0": "pad", "1": "wall", "2": "open", "3": "start", "4": "goal", "5": "path"}
HARD_FRACTION = 0.125  # default min_path_length = ceil(HARD_FRACTION * size**2), about HRM's 110 for 30x30
# Redraws per requested maze before giving up on a threshold that is too high.
GENERATION_ATTEMPTS_FACTOR = 50
_STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))


@dataclass
class MazeConfig:
    """How to generate a maze dataset.

    Args:
        size (`int`, defaults to 30): grid side (30 as Maze-Hard; e.g. 10 for CPU experiments).
        num_train (`int`, defaults to 1000): training mazes before augmentation.
        num_test (`int`, defaults to 1000): test mazes (not augmented).
        min_path_length (`int`, defaults to -1): keep start/goal pairs whose shortest path has at least this
            many steps; -1 = `ceil(0.125 * size**2)`.
        loop_prob (`float`, defaults to 0.05): chance to open each remaining wall between two lattice cells.
        augment (`bool`, defaults to `True`): add the 7 other dihedral transforms of each training maze.
        seed (`int`, defaults to 0): seed of every random choice.
    """

    size: int = field(default=30, metadata={"help": "Grid side."})
    num_train: int = field(default=1000, metadata={"help": "Training mazes before augmentation."})
    num_test: int = field(default=1000, metadata={"help": "Test mazes."})
    min_path_length: int = field(
        default=-1, metadata={"help": "Hardness threshold in steps (-1: 0.125*size^2)."}
    )
    loop_prob: float = field(default=0.05, metadata={"help": "Chance to open each remaining inner wall."})
    augment: bool = field(default=True, metadata={"help": "8 dihedral transforms of each training maze."})
    seed: int = field(default=0, metadata={"help": "Random seed."})

    def __post_init__(self) -> None:
        if self.size < 4:
            raise ValueError(f"size must be >= 4, got {self.size}")
        if self.num_train < 1 or self.num_test < 1:
            raise ValueError(
                f"need num_train >= 1 and num_test >= 1, got {self.num_train} and {self.num_test}"
            )
        if not 0.0 <= self.loop_prob <= 1.0:
            raise ValueError(f"loop_prob must be in [0, 1], got {self.loop_prob}")
        if self.min_path_length == -1:
            self.min_path_length = math.ceil(HARD_FRACTION * self.size**2)
        if self.min_path_length < 2:
            raise ValueError(
                f"min_path_length must be >= 2 (or -1 for the default), got {self.min_path_length}"
            )


def generate_walls(size: int, loop_prob: float, rng: np.random.Generator) -> np.ndarray:
    """A random maze layout: randomised DFS over the even-coordinate lattice, then random extra openings.

    Args:
        size (`int`): grid side.
        loop_prob (`float`): chance to open each remaining wall between two lattice cells.
        rng (`np.random.Generator`): randomness.

    Returns:
        `np.ndarray` of shape `[size, size]`, bool: `True` for walls.
    """
    cells = (size + 1) // 2  # lattice cells per side, at coordinates 0, 2, ..., 2 * (cells - 1)
    walls = np.ones((size, size), bool)
    walls[0::2, 0::2][:cells, :cells] = False
    visited = np.zeros((cells, cells), bool)
    start = (int(rng.integers(cells)), int(rng.integers(cells)))
    visited[start] = True
    stack = [start]
    while stack:
        row, col = stack[-1]
        neighbours = [
            (row + dr, col + dc)
            for dr, dc in _STEPS
            if 0 <= row + dr < cells and 0 <= col + dc < cells and not visited[row + dr, col + dc]
        ]
        if not neighbours:
            stack.pop()
            continue
        next_row, next_col = neighbours[int(rng.integers(len(neighbours)))]
        walls[row + next_row, col + next_col] = False  # the cell between the two lattice cells
        visited[next_row, next_col] = True
        stack.append((next_row, next_col))

    # Inner walls between two lattice cells: odd row, even column (vertical neighbours) or the reverse.
    between = np.zeros((size, size), bool)
    between[1 : 2 * cells - 1 : 2, 0 : 2 * cells - 1 : 2] = True
    between[0 : 2 * cells - 1 : 2, 1 : 2 * cells - 1 : 2] = True
    walls &= ~(between & walls & (rng.random((size, size)) < loop_prob))
    return walls


def shortest_paths_from(walls: np.ndarray, start: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """BFS from `start`: step distances and the number of shortest paths (capped at 2) to every cell.

    Args:
        walls (`np.ndarray` of shape `[rows, cols]`, bool): `True` for walls.
        start (`tuple[int, int]`): an open cell.

    Returns:
        `tuple[np.ndarray, np.ndarray]`: distances (-1 where unreachable) and path counts in {0, 1, 2}.
    """
    rows, cols = walls.shape
    distance = np.full((rows, cols), -1, np.int64)
    paths = np.zeros((rows, cols), np.int64)
    distance[start] = 0
    paths[start] = 1
    queue = deque([start])
    while queue:
        row, col = queue.popleft()
        for dr, dc in _STEPS:
            nr, nc = row + dr, col + dc
            if not (0 <= nr < rows and 0 <= nc < cols) or walls[nr, nc]:
                continue
            if distance[nr, nc] == -1:
                distance[nr, nc] = distance[row, col] + 1
                paths[nr, nc] = paths[row, col]
                queue.append((nr, nc))
            elif distance[nr, nc] == distance[row, col] + 1:
                paths[nr, nc] = min(2, paths[nr, nc] + paths[row, col])
    return distance, paths


def _trace_back(distance: np.ndarray, goal: tuple[int, int]) -> list[tuple[int, int]]:
    """The cells strictly between start and goal on the (unique) shortest path, walking down the distances."""
    rows, cols = distance.shape
    cells = []
    row, col = goal
    while distance[row, col] > 1:
        for dr, dc in _STEPS:
            nr, nc = row + dr, col + dc
            if 0 <= nr < rows and 0 <= nc < cols and distance[nr, nc] == distance[row, col] - 1:
                row, col = nr, nc
                break
        cells.append((row, col))
    return cells


def generate_maze(config: MazeConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Draw one maze with a start/goal pair meeting the hardness threshold (`None` when the layout has none).

    Args:
        config (`MazeConfig`): size, threshold and loop probability.
        rng (`np.random.Generator`): randomness.

    Returns:
        `tuple[np.ndarray, np.ndarray, int]` or `None`: input and label token grids `[size, size]` int8, and
        the shortest-path length in steps.
    """
    walls = generate_walls(config.size, config.loop_prob, rng)
    open_cells = np.argwhere(~walls)
    start = tuple(int(x) for x in open_cells[rng.integers(len(open_cells))])
    distance, paths = shortest_paths_from(walls, start)
    candidates = np.argwhere((distance >= config.min_path_length) & (paths == 1))
    if len(candidates) == 0:
        return None
    goal = tuple(int(x) for x in candidates[rng.integers(len(candidates))])
    grid = np.where(walls, WALL, OPEN).astype(np.int8)
    grid[start] = START
    grid[goal] = GOAL
    label = grid.copy()
    for cell in _trace_back(distance, goal):
        label[cell] = PATH
    return grid, label, int(distance[goal])


def _canonical(grid: np.ndarray) -> bytes:
    """The smallest byte string among the 8 dihedral transforms: equal for mazes equal up to symmetry."""
    return min(np.ascontiguousarray(dihedral_transform(grid, k)).tobytes() for k in range(NUM_DIHEDRAL))


def build_maze(config: MazeConfig) -> BuiltPuzzles:
    """Generate the maze train/test splits, distinct up to the 8 dihedral symmetries.

    Training rows: each maze followed by its 7 other dihedral transforms when `augment` (augmentation
    `t0`..`t7`, numbered as `common.dihedral_transform`). Test rows: one per maze, `t0`. `puzzle_identifier`
    is 0 (blank).

    Args:
        config (`MazeConfig`): what to generate.

    Returns:
        `BuiltPuzzles`: splits `train` and `test` with metadata (stats include the path-length distribution).

    Raises:
        ValueError: when the threshold is so high that too few mazes qualify.
    """
    rng = np.random.default_rng(config.seed)
    needed = config.num_train + config.num_test
    inputs, labels, lengths, seen = [], [], [], set()
    attempts = 0
    while len(inputs) < needed:
        attempts += 1
        if attempts > GENERATION_ATTEMPTS_FACTOR * needed:
            raise ValueError(
                f"only {len(inputs)} of {needed} {config.size}x{config.size} mazes reached min_path_length="
                f"{config.min_path_length} in {attempts - 1} draws; lower it or raise loop_prob"
            )
        maze = generate_maze(config, rng)
        if maze is None:
            continue
        key = _canonical(maze[0])
        if key in seen:
            continue
        seen.add(key)
        inputs.append(maze[0])
        labels.append(maze[1])
        lengths.append(maze[2])
    logger.info(f"Generated {needed} mazes in {attempts} draws (min_path_length={config.min_path_length})")

    inputs, labels = np.stack(inputs), np.stack(labels)
    transforms = list(range(NUM_DIHEDRAL)) if config.augment else [0]
    train_inputs = np.stack([dihedral_transform(inputs[: config.num_train], k) for k in transforms], axis=1)
    train_labels = np.stack([dihedral_transform(labels[: config.num_train], k) for k in transforms], axis=1)
    seq_len = config.size * config.size
    source = f"generated-{config.size}x{config.size}"
    groups = [f"maze:{index}" for index in range(needed)]
    num_train_rows = config.num_train * len(transforms)
    splits = DatasetDict(
        train=make_split(
            inputs=train_inputs.reshape(num_train_rows, seq_len),
            labels=train_labels.reshape(num_train_rows, seq_len),
            puzzle_identifiers=np.full(num_train_rows, BLANK_PUZZLE_ID),
            source=[source] * num_train_rows,
            group=[group for group in groups[: config.num_train] for _ in transforms],
            augmentation=[f"t{k}" for _ in range(config.num_train) for k in transforms],
        ),
        test=make_split(
            inputs=inputs[config.num_train :].reshape(config.num_test, seq_len),
            labels=labels[config.num_train :].reshape(config.num_test, seq_len),
            puzzle_identifiers=np.full(config.num_test, BLANK_PUZZLE_ID),
            source=[source] * config.num_test,
            group=groups[config.num_train :],
            augmentation=["t0"] * config.num_test,
        ),
    )
    lengths = np.asarray(lengths)
    stats = {
        "draws": attempts,
        "path_length_min": int(lengths.min()),
        "path_length_percentiles_10_50_90": [float(q) for q in np.percentile(lengths, [10, 50, 90])],
        "path_length_mean": float(lengths.mean()),
        "path_length_max": int(lengths.max()),
        "wall_fraction": float((inputs == WALL).mean()),
    }
    metadata = PuzzleMetadata(
        puzzle="maze",
        seq_len=seq_len,
        vocab_size=len(MAZE_TOKENS),
        grid_shape=[config.size, config.size],
        num_puzzle_identifiers=1,
        tokens=dict(MAZE_TOKENS),
        num_examples={name: len(split) for name, split in splits.items()},
        config=asdict(config),
        stats=stats,
    )
    return BuiltPuzzles(splits=splits, metadata=metadata)
