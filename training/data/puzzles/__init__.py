"""Puzzle datasets (Sudoku, Maze, ARC) in one record format, built as `datasets.DatasetDict`s.

Build from the command line with `python -m training.data.puzzles.build {sudoku,maze,arc} --out DIR`,
then load with `load_puzzle_dataset(DIR)`; `metadata.json` gives `vocab_size`, `seq_len` and
`num_puzzle_identifiers` for the model config. `collator` turns rows into model batches
(`to_model_columns`, `collate_puzzles`) and checks that a model fits a dataset (`check_model_fits`).
"""

from .arc import ArcAugmentation, ArcConfig, build_arc, decode_arc_grid, encode_arc_grid, load_arc_tasks
from .arc_eval import evaluate_arc, load_test_tasks
from .collator import check_model_fits, collate_puzzles, to_model_columns
from .common import (
    PAD_ID,
    BuiltPuzzles,
    PuzzleMetadata,
    dihedral_transform,
    inverse_dihedral_transform,
    load_puzzle_dataset,
)
from .maze import MazeConfig, build_maze
from .sudoku import SudokuConfig, build_sudoku, find_equivalent_puzzles, sudoku_fingerprints

__all__ = [
    "PAD_ID",
    "ArcAugmentation",
    "ArcConfig",
    "BuiltPuzzles",
    "MazeConfig",
    "PuzzleMetadata",
    "SudokuConfig",
    "build_arc",
    "build_maze",
    "build_sudoku",
    "check_model_fits",
    "collate_puzzles",
    "decode_arc_grid",
    "dihedral_transform",
    "encode_arc_grid",
    "evaluate_arc",
    "find_equivalent_puzzles",
    "inverse_dihedral_transform",
    "load_arc_tasks",
    "load_puzzle_dataset",
    "load_test_tasks",
    "sudoku_fingerprints",
    "to_model_columns",
]
