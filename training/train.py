"""Train a Tiny Recursive Model (or its single-pass twin) on math word problems.

    python training/train.py --config training/configs/generator.yaml [--any_argument value ...]
    accelerate launch training/train.py --config training/configs/generator.yaml

Arguments are `ModelArguments`, `DataArguments` and `TRMTrainingArguments` (see
`training/arguments.py`); a YAML config gives defaults that the command line overrides.
"""

from __future__ import annotations

import logging
import sys

from transformers import AutoTokenizer, set_seed

import modeling_trm  # noqa: F401  (registers the TRM Auto classes)
from modeling_trm import TRMConfig, TRMForMathQA
from modeling_trm.loading import check_tokenizer_matches, load_saved_model
from training.arguments import ModelArguments, parse_arguments
from training.data.math_datasets import build_math_datasets
from training.metrics import AnswerScorer
from training.run_trainer import setup_logging, train_and_evaluate
from training.trainer import TRMTrainer

logger = logging.getLogger(__name__)


def build_model(model_args: ModelArguments, tokenizer) -> TRMForMathQA:
    """A saved model (checked against the tokenizer; the given recursion settings replace its own), or a
    fresh one whose vocabulary and special ids come from the tokenizer."""
    if model_args.model_name_or_path is not None:
        model = load_saved_model(model_args.model_name_or_path, TRMForMathQA)
        check_tokenizer_matches(
            tokenizer, model.config, model_args.tokenizer_name_or_path, model_args.model_name_or_path
        )
        model_args.apply_to_saved(model.config, model_args.model_name_or_path)
        return model
    config = TRMConfig(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **model_args.config_kwargs(),
    )
    return TRMForMathQA(config)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    model_args, data_args, training_args = parse_arguments(argv)

    setup_logging(training_args, logger)

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
        **training_args.trainer_kwargs(),
    )

    training_info = {
        "command": "python training/train.py " + " ".join(argv),
        "dataset": data_args.dataset,
        "num_train_examples": len(train_dataset),
        "num_eval_examples": len(eval_dataset),
    }
    train_and_evaluate(trainer, training_args, training_info)


if __name__ == "__main__":
    main()
