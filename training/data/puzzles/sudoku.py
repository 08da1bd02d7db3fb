"""Sudoku datasets: Sudoku-Extreme style from the tdoku hard collections, and small generated Sudoku.

Tokens (as the paper's setting, HRM/TRM `build_sudoku_dataset.py`): 0 = pad (unused, grids are
full), 1 = empty cell, 2..n+1 = digits 1..n. A 9x9 set has vocab 11; 6x6 vocab 8; 4x4 vocab 6.

Symmetry group G of an n x n Sudoku with boxes of `box_rows x box_cols` cells: relabel the
digits, permute the bands (groups of `box_rows` rows) and the rows inside each band, permute the
stacks (groups of `box_cols` columns) and the columns inside each stack, and transpose (only when
boxes are square). Training puzzles are augmented with random elements of G; the test set holds
no puzzle G-equivalent to a training puzzle, decided with `sudoku_fingerprints` (see there).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from datasets import DatasetDict
from transformers.utils import logging

from .common import BLANK_PUZZLE_ID, BuiltPuzzles, PuzzleMetadata, make_split

logger = logging.get_logger(__name__)

SUDOKU_DATA_DIR = "../shared/data/sudoku-tdoku"
HARD_COLLECTIONS = ("puzzles5_forum_hardest_1905_11plus", "puzzles6_forum_hardest_1106")
BOX_SHAPES = {4: (2, 2), 6: (2, 3), 9: (3, 3)}
EMPTY_TOKEN = 1
DIGIT_TOKEN_OFFSET = 1  # digit d (1..n) -> token d + 1; empty (0) -> 1
IDENTITY = "id"
# Tries per requested puzzle before the small-Sudoku generator gives up finding new classes.
GENERATION_ATTEMPTS_FACTOR = 20
# Augmentations gathered at once (bounds the int64 index arrays to a few tens of MB).
AUGMENT_CHUNK = 65536


@dataclass
class SudokuConfig:
    """How to build a Sudoku dataset.

    Args:
        grid_size (`int`, defaults to 9): 9 reads the tdoku collections; 4 (2x2 boxes) and 6 (2x3 boxes)
            are generated here for CPU-sized experiments.
        data_dir (`str`, defaults to `"../shared/data/sudoku-tdoku"`): folder of the tdoku files (9x9 only),
            relative to the working directory.
        collections (`list[str]`): tdoku collections (file stems) forming the hard pool (9x9 only).
        num_train (`int`, defaults to 1000): training puzzles before augmentation.
        num_aug (`int`, defaults to 1000): random augmentations per training puzzle, added to the original.
        num_test (`int`, defaults to 1000): test puzzles; -1 takes every remaining inequivalent puzzle (9x9).
        extra_clues (`int`, defaults to 0): generated sizes only: clues given back to each minimal puzzle. 4x4
            has only ~36 inequivalent minimal puzzles; 1, 2, 3 extra clues give ~240, ~660, ~1,050+.
        seed (`int`, defaults to 0): seed of every random choice.
    """

    grid_size: int = field(default=9, metadata={"help": "9 (tdoku files), or 4 / 6 (generated)."})
    data_dir: str = field(default=SUDOKU_DATA_DIR, metadata={"help": "Folder of the tdoku collections."})
    collections: list[str] = field(
        default_factory=lambda: list(HARD_COLLECTIONS), metadata={"help": "Hard collections (file stems)."}
    )
    num_train: int = field(default=1000, metadata={"help": "Training puzzles before augmentation."})
    num_aug: int = field(default=1000, metadata={"help": "Augmentations per training puzzle."})
    num_test: int = field(default=1000, metadata={"help": "Test puzzles (-1: all remaining, 9x9 only)."})
    extra_clues: int = field(
        default=0, metadata={"help": "Clues added to minimal generated puzzles (4x4/6x6)."}
    )
    seed: int = field(default=0, metadata={"help": "Random seed."})

    def __post_init__(self) -> None:
        if self.extra_clues < 0:
            raise ValueError(f"extra_clues must be >= 0, got {self.extra_clues}")
        if self.grid_size not in BOX_SHAPES:
            raise ValueError(f"grid_size must be one of {sorted(BOX_SHAPES)}, got {self.grid_size}")
        if self.num_train < 1 or self.num_aug < 0:
            raise ValueError(f"need num_train >= 1 and num_aug >= 0, got {self.num_train} and {self.num_aug}")
        if self.num_test < 1 and not (self.num_test == -1 and self.grid_size == 9):
            raise ValueError(f"num_test must be >= 1 (or -1 for 9x9), got {self.num_test}")
        if self.grid_size == 9 and not self.collections:
            raise ValueError("collections must name at least one tdoku collection")


def sudoku_tokens(grid_size: int) -> dict[str, str]:
    """Token id -> meaning for an n x n Sudoku.

    Args:
        grid_size (`int`): n.

    Returns:
        `dict[str, str]`: the token table of `metadata.json`.
    """
    tokens = {"0": "pad", str(EMPTY_TOKEN): "empty"}
    tokens.update({str(digit + DIGIT_TOKEN_OFFSET): f"digit {digit}" for digit in range(1, grid_size + 1)})
    return tokens


def read_sudoku_file(
    path: str | Path, grid_size: int = 9, allow_empty: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Read one puzzle per line (`n*n` characters, `1`..`n`, `.` for empty), skipping `#` and empty lines.

    Args:
        path (`str` or `Path`): the file.
        grid_size (`int`, defaults to 9): n.
        allow_empty (`bool`, defaults to `True`): accept `.` (puzzles); `False` for solution files.

    Returns:
        `tuple[np.ndarray, np.ndarray]`: grids `[N, n, n]` int8 (0 = empty) and their 1-based line numbers.

    Raises:
        ValueError: naming the file and line of a row of the wrong length or with a character out of range.
    """
    path = Path(path)
    allowed = set("123456789"[:grid_size]) | ({"."} if allow_empty else set())
    rows, line_numbers = [], []
    with path.open() as handle:
        for line_number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if len(text) != grid_size * grid_size:
                raise ValueError(
                    f"{path}:{line_number}: expected {grid_size * grid_size} cells, found {len(text)}"
                )
            bad = [position for position, char in enumerate(text) if char not in allowed]
            if bad:
                raise ValueError(
                    f"{path}:{line_number}: character {text[bad[0]]!r} at position {bad[0] + 1} is not "
                    f"one of {''.join(sorted(allowed))}"
                )
            rows.append(text)
            line_numbers.append(line_number)
    codes = np.frombuffer("".join(rows).replace(".", "0").encode(), np.uint8) - ord("0")
    return codes.astype(np.int8).reshape(-1, grid_size, grid_size), np.asarray(line_numbers, np.int64)


def invalid_sudoku_solutions(puzzles: np.ndarray, solutions: np.ndarray) -> np.ndarray:
    """Which solutions break a rule: a row, column or box not a permutation of 1..n, or a changed clue.

    Args:
        puzzles (`np.ndarray` of shape `[N, n, n]`): clues, 0 = empty.
        solutions (`np.ndarray` of shape `[N, n, n]`): filled grids.

    Returns:
        `np.ndarray` of shape `[N]`, bool: `True` where the solution is invalid.
    """
    count, n, _ = solutions.shape
    box_rows, box_cols = BOX_SHAPES[n]
    expected = np.arange(1, n + 1)
    boxes = (
        solutions.reshape(count, n // box_rows, box_rows, n // box_cols, box_cols)
        .transpose(0, 1, 3, 2, 4)
        .reshape(count, n, n)
    )
    bad = np.zeros(count, bool)
    for units in (solutions, solutions.transpose(0, 2, 1), boxes):
        bad |= (np.sort(units, axis=-1) != expected).any(axis=(1, 2))
    bad |= ((puzzles != 0) & (puzzles != solutions)).any(axis=(1, 2))
    return bad


def load_sudoku_collection(data_dir: str | Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Load a tdoku collection and its solutions (`name.txt`, `name.solutions.txt`), checking every solution.

    Args:
        data_dir (`str` or `Path`): the tdoku folder.
        name (`str`): the collection's file stem.

    Returns:
        `tuple[np.ndarray, np.ndarray, np.ndarray]`: puzzles and solutions `[N, 9, 9]` int8, and the puzzles'
        1-based line numbers `[N]`.

    Raises:
        ValueError: on a malformed line, differing counts, or a solution that is invalid for its puzzle.
    """
    puzzle_path = Path(data_dir) / f"{name}.txt"
    solution_path = Path(data_dir) / f"{name}.solutions.txt"
    puzzles, line_numbers = read_sudoku_file(puzzle_path)
    solutions, solution_lines = read_sudoku_file(solution_path, allow_empty=False)
    if len(puzzles) != len(solutions):
        raise ValueError(
            f"{solution_path}: {len(solutions)} solutions for {len(puzzles)} puzzles in {puzzle_path}"
        )
    bad = np.flatnonzero(invalid_sudoku_solutions(puzzles, solutions))
    if len(bad):
        raise ValueError(
            f"{solution_path}:{solution_lines[bad[0]]}: not a valid solution of "
            f"{puzzle_path}:{line_numbers[bad[0]]} ({len(bad)} invalid in all)"
        )
    return puzzles, solutions, line_numbers


def _random_permutations(rng: np.random.Generator, count: int, size: int) -> np.ndarray:
    """`count` independent random permutations of `range(size)`, shape `[count, size]`."""
    return rng.permuted(np.broadcast_to(np.arange(size), (count, size)), axis=1)


def _grouped_permutations(
    rng: np.random.Generator, count: int, num_groups: int, group_size: int
) -> np.ndarray:
    """Permutations of `num_groups * group_size` lines that shuffle whole groups and the lines inside each."""
    group_order = _random_permutations(rng, count, num_groups)
    inside = _random_permutations(rng, count * num_groups, group_size).reshape(count, num_groups, group_size)
    return (group_order[:, :, None] * group_size + inside).reshape(count, num_groups * group_size)


def _digit_string(array: np.ndarray) -> np.ndarray:
    """Rows of single digits `[M, k]` -> ASCII byte matrix `[M, k]`."""
    return (array + ord("0")).astype(np.uint8)


def augment_sudoku(
    puzzles: np.ndarray, solutions: np.ndarray, num_aug: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Apply `num_aug` random symmetries of G to every puzzle and its solution (vectorised).

    Each augmentation: relabel digits 1..n, transpose with probability 1/2 (square boxes only), then
    permute bands and rows within bands, stacks and columns within stacks.

    Args:
        puzzles (`np.ndarray` of shape `[N, n, n]`): clues, 0 = empty.
        solutions (`np.ndarray` of shape `[N, n, n]`): their solutions.
        num_aug (`int`): augmentations per puzzle.
        rng (`np.random.Generator`): randomness.

    Returns:
        `tuple[np.ndarray, np.ndarray, list[str]]`: augmented puzzles and solutions `[N * num_aug, n, n]`
        (puzzle i's augmentations at rows `i*num_aug .. (i+1)*num_aug - 1`), and a description per row
        `"t{0|1}|r{rows}|c{cols}|d{digits}"`: new row i is old row `rows[i]`, new column j is old
        column `cols[j]` (after the transpose), old digit d becomes `digits[d-1]`.
    """
    count, n, _ = puzzles.shape
    box_rows, box_cols = BOX_SHAPES[n]
    total = count * num_aug
    source = np.repeat(np.arange(count), num_aug)
    if box_rows == box_cols:
        transpose = rng.random(total) < 0.5
    else:
        transpose = np.zeros(total, bool)
    row_perm = _grouped_permutations(rng, total, n // box_rows, box_rows)
    col_perm = _grouped_permutations(rng, total, n // box_cols, box_cols)
    digit_map = np.concatenate(
        [np.zeros((total, 1), np.int64), 1 + _random_permutations(rng, total, n)], axis=1
    )

    outputs = (np.empty((total, n, n), np.int8), np.empty((total, n, n), np.int8))
    for start in range(0, total, AUGMENT_CHUNK):
        chunk = slice(start, start + AUGMENT_CHUNK)
        # Flat gather index: new (i, j) <- old (row_perm[i], col_perm[j]), swapped when transposed.
        rows = row_perm[chunk, :, None]
        cols = col_perm[chunk, None, :]
        flat = np.where(transpose[chunk, None, None], cols * n + rows, rows * n + cols).reshape(-1, n * n)
        lookup = np.arange(len(flat))[:, None]
        for grids, output in zip((puzzles, solutions), outputs, strict=True):
            moved = grids.reshape(count, n * n)[source[chunk, None], flat]
            output[chunk] = digit_map[chunk][lookup, moved].reshape(-1, n, n)

    ascii_rows = np.concatenate(
        [
            np.full((total, 1), ord("t"), np.uint8),
            _digit_string(transpose[:, None].astype(np.int64)),
            np.frombuffer(b"|r", np.uint8)[None].repeat(total, 0),
            _digit_string(row_perm),
            np.frombuffer(b"|c", np.uint8)[None].repeat(total, 0),
            _digit_string(col_perm),
            np.frombuffer(b"|d", np.uint8)[None].repeat(total, 0),
            _digit_string(digit_map[:, 1:]),
        ],
        axis=1,
    )
    descriptions = (
        np.ascontiguousarray(ascii_rows).view(f"S{ascii_rows.shape[1]}").ravel().astype(str).tolist()
    )
    return outputs[0], outputs[1], descriptions


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fixed, well-spread map of uint64 values (wraps mod 2^64 on purpose)."""
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def _fingerprint_colours(puzzles: np.ndarray, solutions: np.ndarray) -> np.ndarray:
    """Per-cell colours invariant under G' (G without transpose), sorted per puzzle, `[N, n*n]` uint64."""
    count, n, _ = puzzles.shape
    box_rows, box_cols = BOX_SHAPES[n]
    num_bands, num_stacks = n // box_rows, n // box_cols
    clue = puzzles > 0
    index = np.arange(count)[:, None, None]
    rows = np.arange(n)[None, :, None]
    cols = np.arange(n)[None, None, :]
    band = rows // box_rows
    stack = cols // box_cols
    digit = solutions.astype(np.int64)

    row_count = clue.sum(2)
    col_count = clue.sum(1)
    box_count = clue.reshape(count, num_bands, box_rows, num_stacks, box_cols).sum((2, 4))
    one_hot = np.zeros((count, n, n, n + 1), np.int16)
    np.put_along_axis(one_hot, puzzles[..., None].astype(np.int64), 1, axis=-1)
    one_hot[..., 0] = 0
    digit_count = one_hot.sum((1, 2))  # clues of each digit
    digit_band = one_hot.reshape(count, num_bands, box_rows, n, n + 1).sum((2, 3))
    digit_stack = one_hot.reshape(count, n, num_stacks, box_cols, n + 1).sum((1, 3))

    # Initial colour: counts that digit relabelling and the line permutations of G' preserve.
    fields = [  # (value, bits)
        (clue, 1),
        (row_count[index, rows], 4),
        (col_count[index, cols], 4),
        (box_count[index, band, stack], 4),
        (digit_count[index, digit], 4),
        (digit_band[index, band, digit], 2),
        (digit_stack[index, stack, digit], 2),
        (clue.reshape(count, n, num_stacks, box_cols).sum(3)[index, rows, stack], 2),  # mini-row clues
        (clue.reshape(count, num_bands, box_rows, n).sum(2)[index, band, cols], 2),  # mini-column clues
    ]
    colour = np.zeros((count, n, n), np.uint64)
    for value, bits in fields:
        colour = (colour << np.uint64(bits)) | value.astype(np.uint64)

    # Two rounds of colour refinement (Weisfeiler-Lehman): a cell's new colour hashes its colour with
    # the multisets (order-free sums of hashed colours) of its row, column, box and same-digit cells.
    # Every relation used is mapped onto itself by G', so the colours stay invariant.
    by_digit = np.argsort(digit.reshape(count, n * n), axis=1, kind="stable")
    for _ in range(2):
        hashed = _mix(colour)
        row_sum = hashed.sum(2, dtype=np.uint64)
        col_sum = hashed.sum(1, dtype=np.uint64)
        box_sum = hashed.reshape(count, num_bands, box_rows, num_stacks, box_cols).sum(
            (2, 4), dtype=np.uint64
        )
        # Each digit fills exactly n cells of a solution, so grouping by digit gives an [N, n, n] block.
        digit_sum = np.take_along_axis(hashed.reshape(count, n * n), by_digit, 1).reshape(count, n, n).sum(2)
        colour = _mix(
            hashed
            ^ _mix(row_sum[index, rows] + np.uint64(1))
            ^ _mix(col_sum[index, cols] + np.uint64(2))
            ^ _mix(box_sum[index, band, stack] + np.uint64(3))
            ^ _mix(digit_sum[index, digit - 1] + np.uint64(4))
        )
    return np.sort(colour.reshape(count, n * n), axis=1)


def sudoku_fingerprints(puzzles: np.ndarray, solutions: np.ndarray) -> np.ndarray:
    """A fingerprint per puzzle, equal for G-equivalent puzzles (and, rarely, for some inequivalent ones).

    Exact canonical forms minimise over all 2 * 6^8 line permutations (about 3.4M for 9x9); this is
    vectorised and linear instead. Each cell starts with a colour built only from counts that every
    element of G without transpose (G') preserves: clues in its row, column, box, mini-row and
    mini-column, and clues of its solution digit in all, in its band and in its stack. Two rounds
    of colour refinement then mix in the colour multisets of the cell's row, column, box and
    same-digit cells. A line permutation moves each cell together with its row, column, box, band
    and stack, and digit relabelling renames digits without changing any count or the same-digit
    relation, so the sorted multiset of colours is G'-invariant. The transpose turns the colours of
    P into those of P^T (rows and columns swapped), so taking the smaller sorted multiset of P and
    P^T makes the fingerprint invariant under all of G. Inequivalent puzzles can share a fingerprint
    (a hash collision or equal colours), so using it for train/test disjointness can only err by
    dropping an extra test candidate.

    Args:
        puzzles (`np.ndarray` of shape `[N, n, n]`): clues, 0 = empty.
        solutions (`np.ndarray` of shape `[N, n, n]`): their (unique) solutions.

    Returns:
        `np.ndarray` of shape `[N]`, dtype `<U32`: hexadecimal digests.
    """
    colours = _fingerprint_colours(puzzles, solutions)
    n = puzzles.shape[1]
    if BOX_SHAPES[n][0] == BOX_SHAPES[n][1]:
        transposed = _fingerprint_colours(puzzles.transpose(0, 2, 1), solutions.transpose(0, 2, 1))
        differs = colours != transposed
        first = differs.argmax(axis=1)
        rows = np.arange(len(colours))
        take_transposed = differs.any(axis=1) & (transposed[rows, first] < colours[rows, first])
        colours = np.where(take_transposed[:, None], transposed, colours)
    return np.array([hashlib.blake2b(row.tobytes(), digest_size=16).hexdigest() for row in colours])


def find_equivalent_puzzles(
    puzzles: np.ndarray, solutions: np.ndarray, reference_puzzles: np.ndarray, reference_solutions: np.ndarray
) -> np.ndarray:
    """Which puzzles are (possibly) G-equivalent to some reference puzzle, e.g. test candidates vs training.

    Args:
        puzzles (`np.ndarray` of shape `[N, n, n]`): candidates, 0 = empty.
        solutions (`np.ndarray` of shape `[N, n, n]`): their solutions.
        reference_puzzles (`np.ndarray` of shape `[M, n, n]`): the puzzles to stay away from.
        reference_solutions (`np.ndarray` of shape `[M, n, n]`): their solutions.

    Returns:
        `np.ndarray` of shape `[N]`, bool: `True` for candidates sharing a fingerprint with a reference puzzle
        (every equivalent candidate is caught; see `sudoku_fingerprints`).
    """
    return np.isin(
        sudoku_fingerprints(puzzles, solutions), sudoku_fingerprints(reference_puzzles, reference_solutions)
    )


@functools.cache
def _peers(grid_size: int) -> tuple[tuple[int, ...], ...]:
    """For each flat cell, the other cells sharing its row, column or box."""
    box_rows, box_cols = BOX_SHAPES[grid_size]
    peers = []
    for cell in range(grid_size * grid_size):
        row, col = divmod(cell, grid_size)
        top, left = row - row % box_rows, col - col % box_cols
        same = {row * grid_size + c for c in range(grid_size)} | {
            r * grid_size + col for r in range(grid_size)
        }
        same |= {r * grid_size + c for r in range(top, top + box_rows) for c in range(left, left + box_cols)}
        peers.append(tuple(sorted(same - {cell})))
    return tuple(peers)


def _options(cells: list[int], peers: tuple[tuple[int, ...], ...], cell: int, grid_size: int) -> list[int]:
    """Digits that can go into `cell` of a flat, partly filled grid."""
    used = {cells[peer] for peer in peers[cell]}
    return [digit for digit in range(1, grid_size + 1) if digit not in used]


def count_sudoku_solutions(puzzle: np.ndarray, limit: int = 2) -> int:
    """Count the solutions of a (small) Sudoku by backtracking on the most constrained cell, up to `limit`.

    Args:
        puzzle (`np.ndarray` of shape `[n, n]`): clues, 0 = empty.
        limit (`int`, defaults to 2): stop counting here (2 is enough to decide uniqueness).

    Returns:
        `int`: `min(number of solutions, limit)`.
    """
    grid_size = puzzle.shape[0]
    peers = _peers(grid_size)
    cells = [int(value) for value in puzzle.ravel()]

    def search() -> int:
        best_cell, best_options = -1, None
        for cell, value in enumerate(cells):
            if value == 0:
                options = _options(cells, peers, cell, grid_size)
                if best_options is None or len(options) < len(best_options):
                    best_cell, best_options = cell, options
                    if len(options) <= 1:
                        break
        if best_options is None:
            return 1
        found = 0
        for digit in best_options:
            cells[best_cell] = digit
            found += search()
            if found >= limit:
                break
        cells[best_cell] = 0
        return found

    return search()


def _random_solved_grid(grid_size: int, rng: np.random.Generator) -> np.ndarray:
    """A random solved n x n grid: backtracking fill in reading order, digits tried in random order."""
    peers = _peers(grid_size)
    cells = [0] * (grid_size * grid_size)

    def fill(cell: int) -> bool:
        if cell == len(cells):
            return True
        for digit in rng.permutation(_options(cells, peers, cell, grid_size)).tolist():
            cells[cell] = digit
            if fill(cell + 1):
                return True
        cells[cell] = 0
        return False

    fill(0)
    return np.array(cells, np.int8).reshape(grid_size, grid_size)


def generate_sudoku_puzzle(
    grid_size: int, rng: np.random.Generator, extra_clues: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Generate a random small Sudoku: a random solved grid, clues removed in random order while the solution
    stays unique (a minimal puzzle), then `extra_clues` random solution cells given back.

    Args:
        grid_size (`int`): 4 or 6 (9 works but is slow in pure Python).
        rng (`np.random.Generator`): randomness.
        extra_clues (`int`, defaults to 0): clues added to the minimal puzzle (easier puzzles, more variety).

    Returns:
        `tuple[np.ndarray, np.ndarray]`: the puzzle (0 = empty) and its unique solution, `[n, n]` int8 each.
    """
    solution = _random_solved_grid(grid_size, rng)
    puzzle = solution.copy()
    for cell in rng.permutation(grid_size * grid_size).tolist():
        row, col = divmod(cell, grid_size)
        puzzle[row, col] = 0
        if count_sudoku_solutions(puzzle) != 1:
            puzzle[row, col] = solution[row, col]
    empty = np.flatnonzero(puzzle == 0)
    given = rng.choice(empty, size=min(extra_clues, len(empty)), replace=False)
    puzzle.reshape(-1)[given] = solution.reshape(-1)[given]
    return puzzle, solution


def _generated_pool(config: SudokuConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Distinct (by fingerprint) generated small puzzles, `num_train + num_test` of them."""
    needed = config.num_train + config.num_test
    puzzles, solutions, seen = [], [], set()
    attempts = GENERATION_ATTEMPTS_FACTOR * needed
    for _ in range(attempts):
        puzzle, solution = generate_sudoku_puzzle(config.grid_size, rng, config.extra_clues)
        fingerprint = sudoku_fingerprints(puzzle[None], solution[None])[0]
        if fingerprint not in seen:
            seen.add(fingerprint)
            puzzles.append(puzzle)
            solutions.append(solution)
            if len(puzzles) == needed:
                break
    else:
        raise ValueError(
            f"only {len(puzzles)} inequivalent {config.grid_size}x{config.grid_size} puzzles found in "
            f"{attempts} tries, {needed} requested (num_train + num_test); ask for fewer or add extra_clues"
        )
    name = f"generated-{config.grid_size}x{config.grid_size}"
    return {
        "puzzles": np.stack(puzzles),
        "solutions": np.stack(solutions),
        "source": np.array([name] * needed),
        "group": np.array([f"{name}:{index}" for index in range(needed)]),
    }


def _tdoku_pool(config: SudokuConfig) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The hard collections, duplicates (same puzzle string) removed."""
    parts, stats = [], {}
    for name in config.collections:
        puzzles, solutions, lines = load_sudoku_collection(config.data_dir, name)
        stats[f"puzzles_in_{name}"] = len(puzzles)
        parts.append(
            (puzzles, solutions, np.array([name] * len(puzzles)), np.array([f"{name}:{i}" for i in lines]))
        )
    puzzles, solutions, source, group = (np.concatenate(column) for column in zip(*parts, strict=True))
    _, first = np.unique(puzzles.reshape(len(puzzles), -1), axis=0, return_index=True)
    keep = np.sort(first)
    stats["duplicate_puzzles_removed"] = len(puzzles) - len(keep)
    if stats["duplicate_puzzles_removed"]:
        logger.info(f"Removed {stats['duplicate_puzzles_removed']} puzzles repeated across collections")
    pool = {
        "puzzles": puzzles[keep],
        "solutions": solutions[keep],
        "source": source[keep],
        "group": group[keep],
    }
    return pool, stats


def _split_pool(
    pool: dict[str, np.ndarray], config: SudokuConfig, rng: np.random.Generator, stats: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle the pool; training = the first `num_train`; test = later puzzles inequivalent to training and
    to each other, at most `num_test`. Returns the two index arrays into the pool."""
    order = rng.permutation(len(pool["puzzles"]))
    if len(order) <= config.num_train:
        raise ValueError(f"pool has {len(order)} puzzles, not more than num_train={config.num_train}")
    train, rest = order[: config.num_train], order[config.num_train :]
    leaked = find_equivalent_puzzles(
        pool["puzzles"][rest], pool["solutions"][rest], pool["puzzles"][train], pool["solutions"][train]
    )
    rest = rest[~leaked]
    _, first = np.unique(
        sudoku_fingerprints(pool["puzzles"][rest], pool["solutions"][rest]), return_index=True
    )
    distinct = rest[np.sort(first)]
    stats["test_candidates_equivalent_to_train"] = int(leaked.sum())
    stats["test_candidates_equivalent_to_each_other"] = len(rest) - len(distinct)
    logger.info(
        f"Test candidates dropped: {int(leaked.sum())} equivalent to a training puzzle, "
        f"{len(rest) - len(distinct)} equivalent to another candidate; {len(distinct)} remain"
    )
    test = distinct if config.num_test == -1 else distinct[: config.num_test]
    if len(test) < config.num_test:
        raise ValueError(
            f"only {len(test)} inequivalent test puzzles remain, num_test={config.num_test} requested"
        )
    return train, test


def build_sudoku(config: SudokuConfig) -> BuiltPuzzles:
    """Build the Sudoku train/test splits.

    Training: `num_train` puzzles, each as the original plus `num_aug` random augmentations (puzzle i's rows
    are contiguous, original first). Test: `num_test` unaugmented puzzles, none G-equivalent to a training
    puzzle or to another test puzzle. `puzzle_identifier` is the blank id 0 everywhere (as the reference's).

    Args:
        config (`SudokuConfig`): what to build.

    Returns:
        `BuiltPuzzles`: splits `train` and `test` with metadata.
    """
    rng = np.random.default_rng(config.seed)
    n = config.grid_size
    if n == 9:
        pool, stats = _tdoku_pool(config)
    else:
        pool, stats = _generated_pool(config, rng), {}
    stats["pool_size"] = len(pool["puzzles"])
    train, test = _split_pool(pool, config, rng, stats)

    train_puzzles, train_solutions = pool["puzzles"][train], pool["solutions"][train]
    aug_puzzles, aug_solutions, descriptions = augment_sudoku(
        train_puzzles, train_solutions, config.num_aug, rng
    )
    per_puzzle = 1 + config.num_aug

    def interleave(originals: np.ndarray, augmented: np.ndarray) -> np.ndarray:
        stacked = np.concatenate(
            [originals[:, None], augmented.reshape(len(originals), config.num_aug, n, n)], 1
        )
        return stacked.reshape(len(originals) * per_puzzle, n * n)

    train_descriptions = np.concatenate(
        [
            np.full((len(train), 1), IDENTITY, dtype=object),
            np.array(descriptions, object).reshape(len(train), -1),
        ],
        1,
    ).ravel()
    splits = DatasetDict(
        train=make_split(
            inputs=interleave(train_puzzles, aug_puzzles) + DIGIT_TOKEN_OFFSET,
            labels=interleave(train_solutions, aug_solutions) + DIGIT_TOKEN_OFFSET,
            puzzle_identifiers=np.full(len(train) * per_puzzle, BLANK_PUZZLE_ID),
            source=np.repeat(pool["source"][train], per_puzzle).tolist(),
            group=np.repeat(pool["group"][train], per_puzzle).tolist(),
            augmentation=train_descriptions.tolist(),
        ),
        test=make_split(
            inputs=pool["puzzles"][test].reshape(len(test), n * n) + DIGIT_TOKEN_OFFSET,
            labels=pool["solutions"][test].reshape(len(test), n * n) + DIGIT_TOKEN_OFFSET,
            puzzle_identifiers=np.full(len(test), BLANK_PUZZLE_ID),
            source=pool["source"][test].tolist(),
            group=pool["group"][test].tolist(),
            augmentation=[IDENTITY] * len(test),
        ),
    )
    clues = (pool["puzzles"][test] > 0).sum((1, 2))
    stats["test_clues_min_mean_max"] = [int(clues.min()), float(clues.mean()), int(clues.max())]
    metadata = PuzzleMetadata(
        puzzle="sudoku",
        seq_len=n * n,
        vocab_size=n + 2,
        grid_shape=[n, n],
        num_puzzle_identifiers=1,
        tokens=sudoku_tokens(n),
        num_examples={name: len(split) for name, split in splits.items()},
        config=asdict(config),
        stats=stats,
    )
    return BuiltPuzzles(splits=splits, metadata=metadata)
