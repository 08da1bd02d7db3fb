"""Sudoku datasets: valid augmentations, train/test disjointness up to symmetry, errors, determinism."""

import json
from pathlib import Path

import numpy as np
import pytest

from modeling_trm import IGNORE_INDEX
from training.data.puzzles.common import load_puzzle_dataset
from training.data.puzzles.sudoku import (
    SudokuConfig,
    build_sudoku,
    count_sudoku_solutions,
    find_equivalent_puzzles,
    load_sudoku_collection,
    read_sudoku_file,
    sudoku_fingerprints,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TDOKU = DATA / "sudoku-tdoku"
SMALL_COLLECTION = "puzzles6_forum_hardest_1106"


def small_config(**overrides) -> SudokuConfig:
    options = dict(
        data_dir=str(TDOKU), collections=[SMALL_COLLECTION], num_train=20, num_aug=8, num_test=40, seed=0
    )
    return SudokuConfig(**(options | overrides))


@pytest.fixture(scope="module")
def built():
    return build_sudoku(small_config())


def decode(row: list[int], n: int) -> np.ndarray:
    """Tokens -> digits, 0 = empty (tokens: 1 = empty, d + 1 = digit d)."""
    return np.asarray(row).reshape(n, n) - 1


def assert_valid_solution(puzzle: np.ndarray, solution: np.ndarray, box_rows: int, box_cols: int) -> None:
    """Checked from the rules alone, without the package's code."""
    n = solution.shape[0]
    digits = set(range(1, n + 1))
    for i in range(n):
        assert set(solution[i].tolist()) == digits, f"row {i}"
        assert set(solution[:, i].tolist()) == digits, f"column {i}"
    for top in range(0, n, box_rows):
        for left in range(0, n, box_cols):
            assert set(solution[top : top + box_rows, left : left + box_cols].ravel().tolist()) == digits
    clues = puzzle > 0
    assert (puzzle[clues] == solution[clues]).all(), "a clue disagrees with the solution"


def random_symmetry(puzzle: np.ndarray, solution: np.ndarray, rng: np.random.Generator):
    """A random element of the 9x9 Sudoku group, written independently of the package."""
    relabel = np.concatenate([[0], rng.permutation(9) + 1])
    rows = np.concatenate([band * 3 + rng.permutation(3) for band in rng.permutation(3)])
    cols = np.concatenate([stack * 3 + rng.permutation(3) for stack in rng.permutation(3)])
    transpose = rng.random() < 0.5

    def move(grid: np.ndarray) -> np.ndarray:
        grid = relabel[grid][rows][:, cols]
        return grid.T if transpose else grid

    return move(puzzle), move(solution)


def test_augmented_sudoku_solutions_stay_valid(built):
    train = built.splits["train"]
    assert len(train) == 20 * 9
    clue_counts = {}
    for row in train:
        puzzle, solution = decode(row["inputs"], 9), decode(row["labels"], 9)
        assert_valid_solution(puzzle, solution, 3, 3)
        clue_counts.setdefault(row["group"], set()).add(int((puzzle > 0).sum()))
    assert all(len(counts) == 1 for counts in clue_counts.values())
    kinds = {row[:2] for row in train["augmentation"] if row != "id"}
    assert kinds == {"t0", "t1"}, "both orientations should occur"
    for row in built.splits["test"]:
        assert_valid_solution(decode(row["inputs"], 9), decode(row["labels"], 9), 3, 3)


def test_augmentation_description_reproduces_the_row(built):
    train = built.splits["train"]
    for index in range(0, len(train), 9):
        original = decode(train[index]["labels"], 9)
        for row in train.select(range(index + 1, index + 9)):
            transpose, rows, cols, digits = row["augmentation"].split("|")
            grid = original.T if transpose == "t1" else original
            grid = grid[[int(r) for r in rows[1:]]][:, [int(c) for c in cols[1:]]]
            relabel = np.array([0] + [int(d) for d in digits[1:]])
            assert np.array_equal(relabel[grid], decode(row["labels"], 9))


def test_labels_and_metadata_follow_the_token_table(built):
    meta = built.metadata
    assert (meta.vocab_size, meta.seq_len, meta.num_puzzle_identifiers) == (11, 81, 1)
    assert meta.tokens["1"] == "empty" and meta.tokens["10"] == "digit 9"
    inputs = np.asarray(built.splits["train"]["inputs"])
    labels = np.asarray(built.splits["train"]["labels"])
    assert inputs.min() >= 1 and inputs.max() <= 10 and labels.min() >= 2 and labels.max() <= 10
    assert IGNORE_INDEX not in labels
    assert set(built.splits["train"]["puzzle_identifier"]) == {0}


def test_disjointness_check_catches_an_augmented_training_puzzle(built):
    train = built.splits["train"].filter(lambda row: row["augmentation"] == "id")
    puzzles = np.stack([decode(row, 9) for row in train["inputs"]])
    solutions = np.stack([decode(row, 9) for row in train["labels"]])
    rng = np.random.default_rng(7)
    disguised = [
        random_symmetry(puzzle, solution, rng) for puzzle, solution in zip(puzzles, solutions, strict=True)
    ]
    aug_puzzles = np.stack([p for p, _ in disguised])
    aug_solutions = np.stack([s for _, s in disguised])
    for puzzle, solution in zip(aug_puzzles, aug_solutions, strict=True):
        assert_valid_solution(puzzle, solution, 3, 3)
    assert not any((a == b).all() for a, b in zip(aug_puzzles, puzzles, strict=True)), "strings differ"
    assert find_equivalent_puzzles(aug_puzzles, aug_solutions, puzzles, solutions).all()

    test_puzzles = np.stack([decode(row, 9) for row in built.splits["test"]["inputs"]])
    test_solutions = np.stack([decode(row, 9) for row in built.splits["test"]["labels"]])
    assert not find_equivalent_puzzles(test_puzzles, test_solutions, puzzles, solutions).any()


def test_fingerprints_separate_the_collection():
    puzzles, solutions, _ = load_sudoku_collection(TDOKU, SMALL_COLLECTION)
    assert len(set(sudoku_fingerprints(puzzles, solutions))) == len(
        np.unique(puzzles.reshape(len(puzzles), -1), axis=0)
    )


def test_build_is_deterministic_for_a_seed(built):
    again = build_sudoku(small_config())
    other = build_sudoku(small_config(seed=1))
    for split in ("train", "test"):
        assert again.splits[split].to_dict() == built.splits[split].to_dict()
    assert list(other.splits["train"]["group"]) != list(built.splits["train"]["group"])


def test_saved_dataset_loads_back_with_metadata(built, tmp_path):
    built.save(tmp_path / "sudoku")
    splits, meta = load_puzzle_dataset(tmp_path / "sudoku")
    assert meta == built.metadata
    assert splits["test"].to_dict() == built.splits["test"].to_dict()
    on_disk = json.loads((tmp_path / "sudoku" / "metadata.json").read_text())
    assert on_disk["vocab_size"] == 11 and on_disk["config"]["seed"] == 0


def test_small_sudoku_generator_gives_unique_valid_puzzles():
    built = build_sudoku(SudokuConfig(grid_size=6, num_train=6, num_aug=4, num_test=4, seed=3))
    assert (built.metadata.vocab_size, built.metadata.seq_len) == (8, 36)
    for row in built.splits["train"]:
        assert_valid_solution(decode(row["inputs"], 6), decode(row["labels"], 6), 2, 3)
    for row in built.splits["test"]:
        assert count_sudoku_solutions(decode(row["inputs"], 6)) == 1
    train_puzzles = np.stack([decode(r, 6) for r in built.splits["train"]["inputs"]])
    train_solutions = np.stack([decode(r, 6) for r in built.splits["train"]["labels"]])
    test_puzzles = np.stack([decode(r, 6) for r in built.splits["test"]["inputs"]])
    test_solutions = np.stack([decode(r, 6) for r in built.splits["test"]["labels"]])
    assert not find_equivalent_puzzles(test_puzzles, test_solutions, train_puzzles, train_solutions).any()


def test_four_by_four_asks_for_fewer_when_classes_run_out():
    with pytest.raises(ValueError, match="inequivalent 4x4 puzzles"):
        build_sudoku(SudokuConfig(grid_size=4, num_train=60, num_test=10, num_aug=0, seed=0))


def test_bad_lines_name_file_and_line(tmp_path):
    good = "." * 80 + "1"
    short = tmp_path / "short.txt"
    short.write_text(f"# header\n{good}\n{good[:-1]}\n")
    with pytest.raises(ValueError, match=r"short\.txt:3: expected 81 cells, found 80"):
        read_sudoku_file(short)
    out_of_range = tmp_path / "range.txt"
    out_of_range.write_text(f"{good}\n{good[:-1]}0\n")
    with pytest.raises(ValueError, match=r"range\.txt:2: character '0'"):
        read_sudoku_file(out_of_range)
    with pytest.raises(ValueError, match=r"range\.txt:1: character '\.'"):
        read_sudoku_file(out_of_range, allow_empty=False)


def test_wrong_solution_names_its_line(tmp_path):
    puzzles, solutions, _ = load_sudoku_collection(TDOKU, SMALL_COLLECTION)
    lines = ["".join(map(str, grid.ravel())) for grid in solutions[:3]]
    lines[1] = lines[1][1:] + lines[1][0]  # rotate the digits: rows break
    (tmp_path / "few.txt").write_text(
        "\n".join("".join(map(str, g.ravel())).replace("0", ".") for g in puzzles[:3])
    )
    (tmp_path / "few.solutions.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"few\.solutions\.txt:2: not a valid solution of .*few\.txt:2"):
        load_sudoku_collection(tmp_path, "few")


def test_config_rejects_unknown_grid_size():
    with pytest.raises(ValueError, match="grid_size"):
        SudokuConfig(grid_size=5)
