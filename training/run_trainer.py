"""What every training entry point does around its `TRMTrainer`: logging, then train, save, evaluate."""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys
from typing import Any

import datasets
import transformers
from transformers import PretrainedConfig, TrainingArguments
from transformers.utils import CONFIG_NAME

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


def check_resumable(checkpoint: str, config: PretrainedConfig) -> None:
    """Refuse to resume from a checkpoint whose model config differs from the model to train (before
    training starts: the Trainer would fail on the first mismatching tensor shape, naming neither the
    checkpoint nor the field, and a same-shape difference such as `H_cycles` would not fail at all).

    Raises:
        `FileNotFoundError`: When `checkpoint` holds no `config.json`.
        `ValueError`: Naming the checkpoint and every differing field with both values.
    """
    if not os.path.isfile(os.path.join(checkpoint, CONFIG_NAME)):
        raise FileNotFoundError(f"--resume_from_checkpoint {checkpoint}: no {CONFIG_NAME}, not a checkpoint.")
    saved, _ = PretrainedConfig.get_config_dict(checkpoint)
    if saved.get("model_type") != config.model_type:
        raise ValueError(
            f"--resume_from_checkpoint {checkpoint}: a {saved.get('model_type')!r} model; "
            f"this run trains a {config.model_type!r} model."
        )
    saved = type(config).from_dict(saved)
    # The fields the config classes declare (not the runtime switches every `PretrainedConfig` has).
    names = {
        name
        for cls in type(config).__mro__
        if issubclass(cls, PretrainedConfig) and cls is not PretrainedConfig
        for name in inspect.signature(cls.__init__).parameters
        if name not in ("self", "kwargs")
    }
    differing = [
        f"{name}={getattr(saved, name)!r} (this run: {getattr(config, name)!r})"
        for name in sorted(names)
        if getattr(saved, name) != getattr(config, name)
    ]
    if differing:
        raise ValueError(
            f"--resume_from_checkpoint {checkpoint}: the checkpoint's model config differs from this run's: "
            + ", ".join(differing)
            + "."
        )


def train_and_evaluate(
    trainer: TRMTrainer, training_args: TrainingArguments, training_info: dict[str, Any]
) -> None:
    """Train (resuming when asked) and save the model, metrics, state and `training_info.json`
    (`training_info` plus the train metrics, for the model card); then evaluate, as the arguments say."""
    if training_args.do_train:
        if training_args.resume_from_checkpoint:
            check_resumable(training_args.resume_from_checkpoint, trainer.model.config)
        train_result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
        trainer.save_model()
        metrics = {
            **train_result.metrics,
            "global_step": train_result.global_step,
            "examples_seen": trainer.examples_seen(),
            "train_minutes": trainer.clock.train_minutes(),
            "eval_minutes": trainer.clock.eval_minutes(),
        }
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
