"""What every training entry point does around its `TRMTrainer`: logging, then train, save, evaluate."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import datasets
import transformers
from transformers import TrainingArguments

from .trainer import TRMTrainer

TRAINING_INFO_NAME = "training_info.json"


def setup_logging(training_args: TrainingArguments, logger: logging.Logger) -> None:
    """Log to stdout at the process's log level (quieter on non-main ranks) and announce the process."""
    logging.basicConfig(
        format="%(asctime)s - %(levelname)s - %(name)s - %(message)s",
        datefmt="%m/%d/%Y %H:%M:%S",
        handlers=[logging.StreamHandler(sys.stdout)],
    )
    log_level = training_args.get_process_log_level()
    logger.setLevel(log_level)
    datasets.utils.logging.set_verbosity(log_level)
    transformers.utils.logging.set_verbosity(log_level)
    logger.warning(
        f"Process rank: {training_args.process_index}, world size: {training_args.world_size}, "
        f"device: {training_args.device}, bf16: {training_args.bf16}"
    )


def train_and_evaluate(
    trainer: TRMTrainer, training_args: TrainingArguments, training_info: dict[str, Any]
) -> None:
    """Train (resuming when asked) and save the model, metrics, state and `training_info.json`
    (`training_info` plus the train metrics, for the model card); then evaluate, as the arguments say."""
    if training_args.do_train:
        train_result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
        trainer.save_model()
        metrics = {**train_result.metrics, "examples_seen": trainer.examples_seen()}
        trainer.log_metrics("train", metrics)
        trainer.save_metrics("train", metrics)
        trainer.save_state()
        if trainer.is_world_process_zero():
            with open(os.path.join(training_args.output_dir, TRAINING_INFO_NAME), "w") as handle:
                json.dump({**training_info, "train_metrics": metrics}, handle, indent=2)

    if training_args.do_eval:
        metrics = trainer.evaluate()
        trainer.log_metrics("eval", metrics)
        trainer.save_metrics("eval", metrics)
