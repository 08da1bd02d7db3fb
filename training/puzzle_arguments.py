"""Arguments of `training/train_puzzles.py`, as `HfArgumentParser` dataclasses plus a YAML file."""

from __future__ import annotations

from dataclasses import dataclass, field

from modeling_trm.configuration_trm import MIXERS, POS_ENCODINGS

from .arguments import RecursionArguments, TRMTrainingArguments, parse_with_config


@dataclass
class PuzzleModelArguments(RecursionArguments):
    """Which model to train: a saved one, or a fresh `TRMPuzzleConfig` from these fields and the dataset."""

    mixer: str = field(default="mlp", metadata={"help": f"Token mixer, one of {MIXERS}."})
    pos_encoding: str = field(default="none", metadata={"help": f"One of {POS_ENCODINGS}."})
    puzzle_emb_len: int = field(default=16, metadata={"help": "Puzzle-embedding positions (0: none)."})
    puzzle_emb_lr: float = field(
        default=1e-4, metadata={"help": "Sign-SGD learning rate of the puzzle embedding."}
    )


@dataclass
class PuzzleDataArguments:
    """Which puzzle dataset to train and evaluate on."""

    dataset_dir: str = field(
        metadata={
            "help": "Folder written by `python -m training.data.puzzles.build` (train and test splits)."
        }
    )
    max_eval_samples: int | None = field(default=None, metadata={"help": "Evaluate on at most this many."})
    eval_use_act: bool = field(
        default=True,
        metadata={"help": "Evaluate with ACT halting; false runs all N_sup steps (the paper's protocol)."},
    )

    def __post_init__(self) -> None:
        if self.max_eval_samples is not None and self.max_eval_samples < 1:
            raise ValueError(f"`max_eval_samples` must be at least 1, got {self.max_eval_samples}.")


def parse_puzzle_arguments(
    argv: list[str] | None = None,
) -> tuple[PuzzleModelArguments, PuzzleDataArguments, TRMTrainingArguments]:
    """The puzzle training arguments from `--config FILE.yaml` (optional) and the command line."""
    return parse_with_config((PuzzleModelArguments, PuzzleDataArguments, TRMTrainingArguments), argv)
