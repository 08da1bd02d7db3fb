"""Tiny models and data shared by several test files (imported like `hub_server`)."""

from __future__ import annotations

from pathlib import Path

import torch

from modeling_trm import TRMForPuzzles, TRMPuzzleConfig
from training.data.puzzles import SudokuConfig, build_sudoku
from training.data.puzzles.common import load_puzzle_dataset

TINY_MATH_CONFIG = dict(
    vocab_size=40,
    hidden_size=32,
    num_heads=4,
    num_layers=2,
    H_cycles=3,
    L_cycles=2,
    halt_max_steps=5,
    max_question_length=12,
    answer_length=5,
)
TINY_PUZZLE_CONFIG = dict(
    seq_len=16,
    vocab_size=6,
    num_puzzle_identifiers=5,
    puzzle_emb_len=2,
    hidden_size=32,
    num_heads=4,
    num_layers=2,
    H_cycles=3,
    L_cycles=2,
    halt_max_steps=5,
)


def save_tiny_sudoku(folder: Path) -> tuple[Path, Path]:
    """A 4x4 Sudoku dataset (8 test puzzles) and an untrained 3-step TRM-MLP for it, saved under
    `folder`; returns `(dataset_dir, model_dir)`. Its halting logits start at -5 everywhere."""
    dataset_dir, model_dir = folder / "sudoku4", folder / "model"
    build_sudoku(SudokuConfig(grid_size=4, num_train=8, num_aug=1, num_test=8, extra_clues=1)).save(
        dataset_dir
    )
    _, metadata = load_puzzle_dataset(dataset_dir)
    torch.manual_seed(0)
    config = TRMPuzzleConfig(
        seq_len=metadata.seq_len, vocab_size=metadata.vocab_size,
        num_puzzle_identifiers=metadata.num_puzzle_identifiers, hidden_size=32, num_heads=4,
        H_cycles=1, L_cycles=1, halt_max_steps=3, mixer="mlp", pos_encoding="none", puzzle_emb_len=1,
    )  # fmt: skip
    TRMForPuzzles(config).save_pretrained(model_dir)
    return dataset_dir, model_dir
