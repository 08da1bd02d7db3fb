"""From data arguments to tokenized, length-filtered `datasets.Dataset`s and their collator."""

from __future__ import annotations

from collections import Counter

import datasets
from transformers import PreTrainedTokenizerBase
from transformers.utils import logging

from .math_collator import MathCollator
from .math_sources import load_gsm8k, load_svamp
from .word_problems import GeneratorConfig, generate_problems

logger = logging.get_logger(__name__)


def generator_config(data_args, split: str) -> GeneratorConfig:
    """The generator settings of `data_args`; the held-out split uses seed + 1."""
    return GeneratorConfig(
        task=data_args.generator_task,
        min_ops=data_args.min_ops,
        max_ops=data_args.max_ops,
        min_value=data_args.min_value,
        max_value=data_args.max_value,
        num_digits=data_args.num_digits,
        num_examples=data_args.num_train_examples if split == "train" else data_args.num_eval_examples,
        seed=data_args.generator_seed + (split != "train"),
    )


def load_records(name: str, data_args, split: str) -> list[dict[str, str]]:
    """Records of data set `name` (`generator`, `gsm8k` or `svamp`) for `split` (`train` or `test`)."""
    if name == "generator":
        records = generate_problems(generator_config(data_args, split))
        if split != "train":
            # Held-out problems never repeat a training question.
            train_questions = {r["question"] for r in generate_problems(generator_config(data_args, "train"))}
            records = [r for r in records if r["question"] not in train_questions]
        return records
    if name == "gsm8k":
        return load_gsm8k(data_args.gsm8k_path, split)
    if name == "svamp":
        if split == "train":
            raise ValueError("SVAMP is for evaluation only.")
        return load_svamp(data_args.svamp_path)
    raise ValueError(f"Unknown data set {name!r}.")


def tokenize_and_filter(
    records: list[dict[str, str]],
    tokenizer: PreTrainedTokenizerBase,
    target: str,
    max_question_length: int,
    answer_length: int,
    description: str,
) -> datasets.Dataset:
    """Tokenize questions and targets (+ eos) and keep the rows that fit; log kept/dropped per reason."""
    target_key = "equations" if target == "equations" else "answer"
    questions = tokenizer([r["question"] for r in records], add_special_tokens=False)["input_ids"]
    targets = tokenizer([r[target_key] for r in records], add_special_tokens=False)["input_ids"]
    rows, dropped = [], Counter()
    for record, question, answer in zip(records, questions, targets, strict=True):
        labels = answer + [tokenizer.eos_token_id]
        if len(question) > max_question_length:
            dropped["question longer than max_question_length"] += 1
        elif len(labels) > answer_length:
            dropped["target longer than answer_length"] += 1
        else:
            rows.append({**record, "target": record[target_key], "input_ids": question, "labels": labels})
    logger.info(f"{description}: kept {len(rows)} of {len(records)}; dropped {dict(dropped) or 'none'}.")
    if not rows:
        raise ValueError(
            f"{description}: no example fits max_question_length={max_question_length} and "
            f"answer_length={answer_length}."
        )
    return datasets.Dataset.from_list(rows)


def build_math_datasets(
    data_args, tokenizer: PreTrainedTokenizerBase, max_question_length: int, answer_length: int
) -> tuple[datasets.Dataset, datasets.Dataset, MathCollator]:
    """Training and held-out datasets for `data_args.dataset`, and the fixed-width collator."""
    split = "test" if data_args.dataset == "generator" else "validation"
    train = tokenize_and_filter(
        load_records(data_args.dataset, data_args, "train"),
        tokenizer,
        data_args.target,
        max_question_length,
        answer_length,
        f"{data_args.dataset}/train",
    )
    held_out_records = load_records(data_args.dataset, data_args, split)[: data_args.max_eval_samples]
    held_out = tokenize_and_filter(
        held_out_records,
        tokenizer,
        data_args.target,
        max_question_length,
        answer_length,
        f"{data_args.dataset}/{split}",
    )
    collator = MathCollator(
        tokenizer.pad_token_id, answer_length, max_question_length, pad_to_max_length=True
    )
    return train, held_out, collator


def build_eval_dataset(
    name: str, data_args, tokenizer: PreTrainedTokenizerBase, max_question_length: int, answer_length: int
) -> tuple[datasets.Dataset, MathCollator]:
    """The test split of `name` and a collator padding to the longest question of each batch."""
    records = load_records(name, data_args, "test")[: data_args.max_eval_samples]
    dataset = tokenize_and_filter(
        records, tokenizer, data_args.target, max_question_length, answer_length, f"{name}/test"
    )
    return dataset, MathCollator(
        tokenizer.pad_token_id, answer_length, max_question_length, pad_to_max_length=False
    )
