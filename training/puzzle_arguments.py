"""Arguments of `training/train_puzzles.py`, as `HfArgumentParser` dataclasses plus a YAML file."""

from __future__ import annotations

from dataclasses import dataclass, field

from modeling_trm.configuration_trm import LOSS_TYPES, MIXERS, POS_ENCODINGS

from .arguments import TRMTrainingArguments, parse_with_config


@dataclass
class PuzzleModelArguments:
    """Which model to train: a saved one, or a fresh `TRMPuzzleConfig` from these fields and the dataset."""

    model_name_or_path: str | None = field(
        default=None,
        metadata={"help": "Start from this saved model (path or Hub id); the fields below are ignored."},
    )
    hidden_size: int = field(default=512, metadata={"help": "Width D of x, y, z."})
    num_heads: int = field(default=8, metadata={"help": "Attention heads."})
    expansion: float = field(default=4.0, metadata={"help": "SwiGLU expansion."})
    num_layers: int = field(default=2, metadata={"help": "Blocks in the tiny network."})
    H_cycles: int = field(default=3, metadata={"help": "T: improvement cycles per supervision step."})
    L_cycles: int = field(default=6, metadata={"help": "n: latent updates per cycle."})
    halt_max_steps: int = field(default=16, metadata={"help": "N_sup: supervision steps at most."})
    halt_exploration_prob: float = field(default=0.1, metadata={"help": "ACT exploration probability."})
    mixer: str = field(default="mlp", metadata={"help": f"Token mixer, one of {MIXERS}."})
    pos_encoding: str = field(default="none", metadata={"help": f"One of {POS_ENCODINGS}."})
    single_pass: bool = field(default=False, metadata={"help": "Train the single-pass baseline instead."})
    loss_type: str = field(default="stablemax", metadata={"help": f"One of {LOSS_TYPES}."})
    q_loss_weight: float = field(default=0.5, metadata={"help": "Weight of the halting loss."})
    puzzle_emb_len: int = field(default=16, metadata={"help": "Puzzle-embedding positions (0: none)."})
    puzzle_emb_lr: float = field(
        default=1e-4, metadata={"help": "Sign-SGD learning rate of the puzzle embedding."}
    )

    def config_kwargs(self) -> dict:
        """The `TRMPuzzleConfig` fields given here."""
        return {
            name: getattr(self, name) for name in self.__dataclass_fields__ if name != "model_name_or_path"
        }


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


def parse_puzzle_arguments(
    argv: list[str] | None = None,
) -> tuple[PuzzleModelArguments, PuzzleDataArguments, TRMTrainingArguments]:
    """The puzzle training arguments from `--config FILE.yaml` (optional) and the command line."""
    return parse_with_config((PuzzleModelArguments, PuzzleDataArguments, TRMTrainingArguments), argv)
