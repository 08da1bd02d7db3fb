"""Memory that training a puzzle model holds whatever the batch: weights, gradients, EMA, optimizer.

    python -m training.memory --config training/configs/arc_agi_1.yaml
    python -m training.memory --config training/configs/arc_agi_1.yaml \\
        --num_puzzle_identifiers 959960 --seq_len 900 --vocab_size 12

The model comes from the puzzle training config as `training/train_puzzles.py` would build it, sized
by the dataset's `metadata.json`; without a built dataset, give its grid length, vocabulary and number
of puzzle identifiers (ARC-AGI-1 with 1,000 augmentations: 959 tasks of 1,001 versions at most, plus
the blank identifier). The model is built on the meta device, so nothing is allocated.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from modeling_trm import TRMForPuzzles, TRMPuzzleConfig
from training.arguments import (
    PuzzleDataArguments,
    PuzzleModelArguments,
    TRMTrainingArguments,
    parse_with_config,
)
from training.data.puzzles.common import METADATA_FILE, PuzzleMetadata
from training.ema import averaged_parameters


def training_memory(model: nn.Module, ema: bool = True) -> dict[str, int]:
    """Bytes that `TRMTrainer` keeps for `model` besides activations.

    Every trainable parameter has a dense gradient of its size, the per-puzzle embedding included (an
    ordinary parameter here); the EMA copies the parameters it averages (all but the puzzle
    embedding); AdamW keeps two moments of every parameter but the puzzle embedding, which sign-SGD
    trains without state. While a checkpoint is saved or the model evaluated, the EMA callback holds
    one more copy of the averaged parameters (not counted).

    Args:
        model (`nn.Module`): The model; its `puzzle_embedding_parameters()`, when it has them, name the
            puzzle embedding.
        ema (`bool`, *optional*, defaults to `True`): Whether training keeps an EMA of the weights.

    Returns:
        `dict[str, int]`: bytes of `parameters` (all trainable ones), `puzzle_embedding` (the part of
        them that is the per-puzzle table), `gradients`, `ema`, `optimizer` and their `total`
        (parameters, gradients, EMA and optimizer state).
    """
    trainable = [p for p in model.parameters() if p.requires_grad]
    get_sparse = getattr(model, "puzzle_embedding_parameters", None)
    sparse = get_sparse() if get_sparse is not None else []
    sparse_ids = {id(p) for p in sparse}

    def size(parameters: Iterable[torch.Tensor]) -> int:
        return sum(p.numel() * p.element_size() for p in parameters)

    memory = {
        "parameters": size(trainable),
        "puzzle_embedding": size(sparse),
        "gradients": size(trainable),
        "ema": size(averaged_parameters(model).values()) if ema else 0,
        "optimizer": 2 * size(p for p in trainable if id(p) not in sparse_ids),
    }
    memory["total"] = memory["parameters"] + memory["gradients"] + memory["ema"] + memory["optimizer"]
    return memory


@dataclass
class GridArguments:
    """The dataset facts that size the model, for when its `metadata.json` is not built yet."""

    num_puzzle_identifiers: int | None = field(
        default=None, metadata={"help": "Rows of the puzzle embedding table (default: the dataset's)."}
    )
    seq_len: int | None = field(default=None, metadata={"help": "Cells per grid (default: the dataset's)."})
    vocab_size: int | None = field(default=None, metadata={"help": "Grid tokens (default: the dataset's)."})


def main(argv: list[str] | None = None) -> None:
    """Print the sizes of the model `argv` describes and `training_memory` of it, in MiB."""
    model_args, data_args, training_args, grid_args = parse_with_config(
        (PuzzleModelArguments, PuzzleDataArguments, TRMTrainingArguments, GridArguments), argv
    )
    sizes = {name: getattr(grid_args, name) for name in ("num_puzzle_identifiers", "seq_len", "vocab_size")}
    if None in sizes.values():
        if not (Path(data_args.dataset_dir) / METADATA_FILE).exists():
            missing = ", ".join(f"--{name}" for name, value in sizes.items() if value is None)
            raise ValueError(
                f"{data_args.dataset_dir} holds no {METADATA_FILE}: build the dataset, or give {missing}."
            )
        metadata = PuzzleMetadata.load(data_args.dataset_dir)
        sizes = {name: getattr(metadata, name) if value is None else value for name, value in sizes.items()}
    with torch.device("meta"):
        model = TRMForPuzzles(TRMPuzzleConfig(**sizes, **model_args.config_kwargs()))
    memory = training_memory(model, ema=bool(training_args.ema_decay))
    print(", ".join(f"{name}={value:,}" for name, value in sizes.items()))
    for name, value in memory.items():
        print(f"{name:<17} {value / 2**20:12,.1f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
