"""Build a puzzle dataset and save it.

Usage: `python -m training.data.puzzles.build {sudoku,maze,arc} --out DIR [options]`.

Options are the fields of `SudokuConfig`, `MazeConfig` or `ArcConfig` (`--help` after the puzzle
name lists them); a single `.json` / `.yaml` argument instead reads them (and `out`) from a file.
The folder gets one `save_to_disk` folder per split, `metadata.json` and, for ARC, `test_tasks.json`.

Examples:
    python -m training.data.puzzles.build sudoku --out data/sudoku-extreme-1k-aug-1000
    python -m training.data.puzzles.build sudoku --grid_size 6 --num_aug 100 --out data/sudoku6
    python -m training.data.puzzles.build maze --size 10 --out data/maze10
    python -m training.data.puzzles.build arc --version arc-agi-2 --num_aug 1000 --out data/arc2
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from transformers import HfArgumentParser
from transformers.utils import logging

from .arc import ArcConfig, build_arc
from .common import BuiltPuzzles
from .maze import MazeConfig, build_maze
from .sudoku import SudokuConfig, build_sudoku

BUILDERS: dict[str, tuple[type, Callable[..., BuiltPuzzles]]] = {
    "sudoku": (SudokuConfig, build_sudoku),
    "maze": (MazeConfig, build_maze),
    "arc": (ArcConfig, build_arc),
}


@dataclass
class OutputArguments:
    """Where the dataset goes.

    Args:
        out (`str`): output folder (created; overwritten split by split).
    """

    out: str = field(metadata={"help": "Output folder."})


def main(argv: Sequence[str] | None = None) -> Path:
    """Parse the command line, build the chosen puzzle dataset and save it.

    Args:
        argv (`Sequence[str]`, *optional*): arguments after the program name; defaults to `sys.argv[1:]`.

    Returns:
        `Path`: the output folder.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in BUILDERS:
        print(f"usage: python -m training.data.puzzles.build {{{','.join(BUILDERS)}}} --out DIR [options]")
        raise SystemExit(2)
    puzzle, rest = argv[0], argv[1:]
    config_class, build = BUILDERS[puzzle]
    parser = HfArgumentParser(
        (OutputArguments, config_class), prog=f"python -m training.data.puzzles.build {puzzle}"
    )
    if len(rest) == 1 and rest[0].endswith(".json"):
        output, config = parser.parse_json_file(rest[0])
    elif len(rest) == 1 and rest[0].endswith((".yaml", ".yml")):
        output, config = parser.parse_yaml_file(rest[0])
    else:
        output, config = parser.parse_args_into_dataclasses(rest)

    logging.set_verbosity_info()
    start = time.perf_counter()
    built = build(config)
    built_seconds = time.perf_counter() - start
    directory = built.save(output.out)
    print(f"{puzzle}: {built.metadata.num_examples} rows in {directory} (built in {built_seconds:.1f} s)")
    print(
        f"vocab_size={built.metadata.vocab_size} seq_len={built.metadata.seq_len} "
        f"num_puzzle_identifiers={built.metadata.num_puzzle_identifiers}"
    )
    print(json.dumps(built.metadata.stats, indent=2))
    return directory


if __name__ == "__main__":
    main()
