"""Train a Tiny Recursive Model (or its single-pass twin) on math word problems.

    python training/train.py --config training/configs/generator.yaml [--any_argument value ...]
    accelerate launch training/train.py --config training/configs/generator.yaml

Arguments are `ModelArguments`, `DataArguments` and `TRMTrainingArguments` (see
`training/arguments.py`); a YAML config gives defaults that the command line overrides.
"""

from __future__ import annotations

import json
import logging
import os
import sys

import datasets
import transformers
from transformers import AutoModel, AutoTokenizer, set_seed

import modeling_trm  # noqa: F401  (registers the TRM Auto classes)
from modeling_trm import TRMConfig, TRMForMathQA
from training.arguments import DataArguments, ModelArguments, parse_arguments
from training.data.math_datasets import build_math_datasets
from training.evaluation import AnswerScorer
from training.trainer import TRMTrainer

logger = logging.getLogger(__name__)

TRAINING_INFO_NAME = "training_info.json"


def build_model(model_args: ModelArguments, tokenizer) -> TRMForMathQA:
    """A saved model, or a fresh one whose vocabulary and special ids come from the tokenizer."""
    if model_args.model_name_or_path is not None:
        return AutoModel.from_pretrained(model_args.model_name_or_path)
    config = TRMConfig(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **model_args.config_kwargs(),
    )
    return TRMForMathQA(config)


def write_training_info(
    output_dir: str,
    argv: list[str],
    data_args: DataArguments,
    train_metrics: dict,
    num_train: int,
    num_eval: int,
) -> None:
    """Record how the model was trained, for the model card."""
    info = {
        "command": "python training/train.py " + " ".join(argv),
        "dataset": data_args.dataset,
        "num_train_examples": num_train,
        "num_eval_examples": num_eval,
        "train_metrics": train_metrics,
    }
    with open(os.path.join(output_dir, TRAINING_INFO_NAME), "w") as handle:
        json.dump(info, handle, indent=2)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    model_args, data_args, training_args = parse_arguments(argv)

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

    set_seed(training_args.seed)
    tokenizer = AutoTokenizer.from_pretrained(model_args.tokenizer_name_or_path)
    model = build_model(model_args, tokenizer)
    with training_args.main_process_first(desc="building the datasets"):
        train_dataset, eval_dataset, collator = build_math_datasets(
            data_args, tokenizer, model.config.max_question_length, model.config.answer_length
        )

    trainer = TRMTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset if training_args.do_train else None,
        eval_dataset=eval_dataset if training_args.do_eval else None,
        data_collator=collator,
        processing_class=tokenizer,
        compute_metrics=AnswerScorer(tokenizer),
        ema_decay=training_args.ema_decay or None,
    )

    if training_args.do_train:
        train_result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
        trainer.save_model()
        metrics = train_result.metrics
        trainer.log_metrics("train", metrics)
        trainer.save_metrics("train", metrics)
        trainer.save_state()
        if trainer.is_world_process_zero():
            write_training_info(
                training_args.output_dir, argv, data_args, metrics, len(train_dataset), len(eval_dataset)
            )

    if training_args.do_eval:
        metrics = trainer.evaluate()
        trainer.log_metrics("eval", metrics)
        trainer.save_metrics("eval", metrics)


if __name__ == "__main__":
    main()
