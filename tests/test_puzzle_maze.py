"""Maze datasets: every label marks a shortest path (checked by an independent BFS), hardness, determinism."""

from collections import deque
from pathlib import Path

import numpy as np
import pytest

from training.data.puzzles.build import main as build_puzzles
from training.data.puzzles.common import dihedral_transform, load_puzzle_dataset
from training.data.puzzles.maze import MazeConfig, build_maze

CPU_MAZE_CONFIG = Path(__file__).resolve().parents[1] / "training" / "configs" / "maze_cpu.yaml"

WALL, OPEN, START, GOAL, PATH = 1, 2, 3, 4, 5


@pytest.fixture(scope="module")
def built():
    return build_maze(MazeConfig(size=10, num_train=12, num_test=6, seed=0))


def bfs_distance(passable: np.ndarray, start: tuple, goal: tuple) -> int:
    """Steps from start to goal through passable cells, -1 if unreachable (the test's own BFS)."""
    rows, cols = passable.shape
    seen = {start: 0}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        if (r, c) == goal:
            return seen[(r, c)]
        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= nr < rows and 0 <= nc < cols and passable[nr, nc] and (nr, nc) not in seen:
                seen[(nr, nc)] = seen[(r, c)] + 1
                queue.append((nr, nc))
    return -1


def assert_marks_a_shortest_path(inputs: list[int], labels: list[int], size: int, min_length: int) -> None:
    maze = np.asarray(inputs).reshape(size, size)
    label = np.asarray(labels).reshape(size, size)
    assert set(np.unique(maze)) <= {WALL, OPEN, START, GOAL}
    assert (maze == START).sum() == 1 and (maze == GOAL).sum() == 1
    # The label is the input with some open cells turned into path.
    assert ((label == maze) | ((maze == OPEN) & (label == PATH))).all()
    start = tuple(np.argwhere(maze == START)[0])
    goal = tuple(np.argwhere(maze == GOAL)[0])
    shortest = bfs_distance(maze != WALL, start, goal)
    assert shortest >= min_length
    on_path = (label == PATH) | (label == START) | (label == GOAL)
    # Walking only on the marked cells reaches the goal, in exactly the shortest number of steps,
    # and the marked cells are exactly that walk (no extra cells).
    assert bfs_distance(on_path, start, goal) == shortest
    assert (label == PATH).sum() == shortest - 1


def test_every_label_is_a_shortest_path_also_after_augmentation(built):
    for split in ("train", "test"):
        for row in built.splits[split]:
            assert_marks_a_shortest_path(
                row["inputs"], row["labels"], 10, built.metadata.config["min_path_length"]
            )
    assert built.splits["train"]["augmentation"][:8] == [f"t{k}" for k in range(8)]
    assert len(built.splits["train"]) == 12 * 8 and len(built.splits["test"]) == 6


def test_full_size_mazes_meet_the_hard_threshold():
    built = build_maze(MazeConfig(size=30, num_train=2, num_test=2, augment=False, seed=1))
    assert built.metadata.config["min_path_length"] == 113
    for row in built.splits["train"]:
        assert_marks_a_shortest_path(row["inputs"], row["labels"], 30, 113)
    assert built.metadata.stats["path_length_min"] >= 113
    assert (built.metadata.seq_len, built.metadata.vocab_size) == (900, 6)


def test_test_mazes_differ_from_training_mazes_up_to_symmetry(built):
    def canonical(row):
        grid = np.asarray(row).reshape(10, 10)
        return min(np.ascontiguousarray(dihedral_transform(grid, k)).tobytes() for k in range(8))

    train = {canonical(row) for row in built.splits["train"]["inputs"]}
    test = {canonical(row) for row in built.splits["test"]["inputs"]}
    assert len(train) == 12 and len(test) == 6 and not train & test


def test_build_is_deterministic_for_a_seed(built):
    again = build_maze(MazeConfig(size=10, num_train=12, num_test=6, seed=0))
    other = build_maze(MazeConfig(size=10, num_train=12, num_test=6, seed=1))
    assert again.splits["train"].to_dict() == built.splits["train"].to_dict()
    assert again.splits["test"].to_dict() == built.splits["test"].to_dict()
    assert list(other.splits["test"]["inputs"]) != list(built.splits["test"]["inputs"])


def test_unreachable_threshold_is_a_clear_error():
    with pytest.raises(ValueError, match="min_path_length=40"):
        build_maze(MazeConfig(size=6, num_train=1, num_test=1, min_path_length=40))


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="size"):
        MazeConfig(size=3)
    with pytest.raises(ValueError, match="loop_prob"):
        MazeConfig(loop_prob=1.5)


def test_the_cpu_maze_set_of_maze_cpu_yaml_is_solvable_hard_and_disjoint(tmp_path):
    """The set the CPU maze config trains on, built by the command its header gives."""
    lines = CPU_MAZE_CONFIG.read_text().splitlines()
    (line,) = [line for line in lines if "training.data.puzzles.build maze" in line]
    argv = line.split("training.data.puzzles.build", 1)[1].split()
    argv[argv.index("--out") + 1] = str(tmp_path / "maze")
    splits, metadata = load_puzzle_dataset(build_puzzles(argv))
    size, min_length = metadata.grid_shape[0], metadata.config["min_path_length"]
    assert (size, len(splits["train"]), len(splits["test"])) == (7, 8000, 1000) and min_length == 10
    for split in ("train", "test"):
        for inputs, labels in zip(splits[split]["inputs"], splits[split]["labels"], strict=True):
            assert_marks_a_shortest_path(inputs, labels, size, min_length)

    def canonical(row):
        grid = np.asarray(row).reshape(size, size)
        return min(np.ascontiguousarray(dihedral_transform(grid, k)).tobytes() for k in range(8))

    train = {canonical(row) for row in splits["train"]["inputs"]}
    test = {canonical(row) for row in splits["test"]["inputs"]}
    assert len(train) == 1000 and len(test) == 1000 and not train & test
