"""Train a Tiny Recursive Model on a grid-puzzle dataset (Sudoku, Maze, ARC) with `TRMTrainer`.

    python -m training.data.puzzles.build sudoku --grid_size 6 --num_aug 100 --out data/sudoku6
    python training/train_puzzles.py --config training/configs/sudoku6_cpu.yaml --dataset_dir data/sudoku6

Arguments are `PuzzleModelArguments`, `PuzzleDataArguments` and `TRMTrainingArguments` (see
`training/arguments.py`); a YAML config gives defaults that the command line overrides. The
grid size, vocabulary and number of puzzle identifiers come from the dataset's `metadata.json`.
"""

from __future__ import annotations

import logging
import sys

from transformers import set_seed

import modeling_trm  # noqa: F401  (registers the TRM Auto classes)
from modeling_trm import TRMForPuzzles, TRMPuzzleConfig
from modeling_trm.loading import load_saved_model
from training.arguments import PuzzleModelArguments, parse_puzzle_arguments
from training.data.puzzles import PuzzleMetadata, load_puzzle_dataset
from training.data.puzzles.collator import check_model_fits, collate_puzzles, to_model_columns
from training.metrics import grid_accuracy
from training.run_trainer import setup_logging, train_and_evaluate
from training.trainer import TRMTrainer

logger = logging.getLogger(__name__)


def build_puzzle_model(
    model_args: PuzzleModelArguments, metadata: PuzzleMetadata, dataset_dir: str
) -> TRMForPuzzles:
    """A saved model (checked against the dataset; the given recursion settings replace its own), or a
    fresh one sized from the dataset's metadata."""
    if model_args.model_name_or_path is not None:
        model = load_saved_model(model_args.model_name_or_path, TRMForPuzzles)
        check_model_fits(model.config, metadata, model_args.model_name_or_path, dataset_dir)
        model_args.apply_to_saved(model.config, model_args.model_name_or_path)
        return model
    config = TRMPuzzleConfig(
        seq_len=metadata.seq_len,
        vocab_size=metadata.vocab_size,
        num_puzzle_identifiers=metadata.num_puzzle_identifiers,
        pad_token_id=metadata.pad_id,
        **model_args.config_kwargs(),
    )
    return TRMForPuzzles(config)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    model_args, data_args, training_args = parse_puzzle_arguments(argv)

    setup_logging(training_args, logger)

    set_seed(training_args.seed)
    splits, metadata = load_puzzle_dataset(data_args.dataset_dir)
    model = build_puzzle_model(model_args, metadata, data_args.dataset_dir)
    train_dataset = to_model_columns(splits["train"])
    eval_dataset = to_model_columns(splits["test"])
    if data_args.max_eval_samples is not None:
        eval_dataset = eval_dataset.select(range(min(data_args.max_eval_samples, len(eval_dataset))))

    trainer = TRMTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset if training_args.do_train else None,
        eval_dataset=eval_dataset if training_args.do_eval else None,
        data_collator=collate_puzzles,
        compute_metrics=grid_accuracy,
        **training_args.trainer_kwargs(),
        eval_use_act=data_args.eval_use_act,
    )

    training_info = {
        "command": "python training/train_puzzles.py " + " ".join(argv),
        "dataset": metadata.puzzle,
        "dataset_config": metadata.config,
        "num_train_examples": len(train_dataset),
        "num_eval_examples": len(eval_dataset),
    }
    train_and_evaluate(trainer, training_args, training_info)


if __name__ == "__main__":
    main()
