"""From `DataArguments` to tokenised, length-filtered `datasets.Dataset`s and their collator.

This is what `training/train.py` and `training/evaluate_model.py` call; the pieces live in their own
modules (`gsm8k`, `augment`, `generator`, `svamp`, `filtering`, `collator`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import datasets
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id
from transformers import PreTrainedTokenizerBase
from transformers.utils import logging

from .augment import augment_numbers
from .collator import MathCollator
from .filtering import filter_by_length, tokenize_records
from .generator import GeneratorConfig, generate_problems
from .gsm8k import load_gsm8k
from .mathematics_dataset import load_mathematics
from .svamp import load_svamp
from .word_problems import WordProblemConfig, generate_word_problems

logger = logging.get_logger(__name__)

DATASETS = ("generator", "word_problems", "gsm8k", "svamp", "mathematics")
# The split a training run evaluates on while training: GSM8K's validation problems (test.jsonl
# is never used for model selection), the generator's validation problems, the Mathematics Dataset's
# validation slice of train.jsonl (its interpolate and extrapolate files are test sets).
HELD_OUT_SPLIT = {
    "generator": "validation",
    "word_problems": "validation",
    "gsm8k": "validation",
    "mathematics": "validation",
}
# The test splits evaluation reports, where they are not the one split named "test".
TEST_SPLITS = {
    "mathematics": ("interpolate", "extrapolate"),
    # New questions of the training phrasings, held-out phrasings of the same kinds, held-out kinds.
    "word_problems": ("test", "test_phrasings", "test_kinds"),
}
# The `DataArguments` field naming each stored data set's folder.
PATH_ARGUMENTS = {"gsm8k": "gsm8k_path", "svamp": "svamp_path", "mathematics": "mathematics_path"}


# Seed offsets of the generator's splits: held-out problems come from other draws of the same task.
GENERATOR_SEED_OFFSET = {"train": 0, "test": 1, "validation": 2}


def _is_hub_id(path: str) -> bool:
    """Whether `path` can name a Hub repository (`org/name`); local paths such as `../data/x` cannot."""
    try:
        validate_repo_id(path)
    except HFValidationError:
        return False
    return True


def data_path(name: str, data_args) -> str:
    """The folder that `data_args` gives for the stored data set `name` (`PATH_ARGUMENTS`), checked to exist;
    for GSM8K a Hub id (`openai/gsm8k`) is also accepted.

    Raises:
        `FileNotFoundError`: Naming the argument and the path, when the folder does not exist.
    """
    argument = PATH_ARGUMENTS[name]
    path = getattr(data_args, argument)
    if Path(path).is_dir() or (name == "gsm8k" and _is_hub_id(path)):
        return path
    raise FileNotFoundError(f"`{argument}` {path!r}: no such folder; the {name} data set is read from it.")


def generator_config(data_args, split: str) -> GeneratorConfig:
    """The generator settings of `data_args` (a `DataArguments`) for `split`: its own seed offset, and for
    `test` the `test_min_ops` / `test_max_ops` range when set (longer chains than in training)."""
    test = split == "test"
    return GeneratorConfig(
        task=data_args.generator_task,
        min_ops=data_args.test_min_ops if test and data_args.test_min_ops else data_args.min_ops,
        max_ops=data_args.test_max_ops if test and data_args.test_max_ops else data_args.max_ops,
        min_value=data_args.min_value,
        max_value=data_args.max_value,
        num_digits=data_args.num_digits,
        modulus=data_args.modulus,
        num_examples=data_args.num_train_examples if split == "train" else data_args.num_eval_examples,
        seed=data_args.generator_seed + GENERATOR_SEED_OFFSET[split],
    )


def word_problem_config(data_args, split: str) -> WordProblemConfig:
    """The word-problem settings of `data_args` for `split` (`train`, `validation`, `test`,
    `test_phrasings` or `test_kinds`); held-out splits draw with their own seed offset."""
    return WordProblemConfig(
        kinds=tuple(data_args.word_problem_kinds) or WordProblemConfig.kinds,
        held_out_kinds=tuple(data_args.held_out_kinds),
        split=split if split.startswith("test_") else "train",
        min_steps=data_args.min_ops,
        max_steps=data_args.test_max_ops
        if split.startswith("test") and data_args.test_max_ops
        else data_args.max_ops,
        max_value=data_args.word_problem_max_value,
        num_examples=data_args.num_train_examples if split == "train" else data_args.num_eval_examples,
        seed=data_args.generator_seed
        + GENERATOR_SEED_OFFSET[split if not split.startswith("test") else "test"],
    )


@functools.lru_cache(maxsize=8)
def _generated(
    config: GeneratorConfig | WordProblemConfig, target: str, exclude: frozenset[str]
) -> tuple[dict, ...]:
    """The problems of a generator config, cached (held-out splits regenerate the training set to exclude)."""
    make = generate_word_problems if isinstance(config, WordProblemConfig) else generate_problems
    return tuple(make(config, target, exclude))


def generated_split(
    config: GeneratorConfig | WordProblemConfig,
    target: str,
    exclude: Sequence[GeneratorConfig | WordProblemConfig] = (),
) -> datasets.Dataset:
    """The problems of `config` (the embedded generator or word problems) as a dataset, none of them
    repeating a question of the configs in `exclude`."""
    seen = frozenset(
        problem["question"] for other in exclude for problem in _generated(other, target, frozenset())
    )
    return datasets.Dataset.from_list(list(_generated(config, target, seen)))


def load_records(name: str, data_args, split: str) -> datasets.Dataset:
    """Untokenised records of one data set and split, as training or evaluation will see them.

    Args:
        name (`str`): `"generator"`, `"gsm8k"`, `"svamp"` (evaluation only: `"test"`) or `"mathematics"`.
        data_args (`DataArguments`): Paths, generator settings, `target` and `augment_variants`.
        split (`str`): `"train"`, `"validation"` or `"test"`; for `"mathematics"`, `"interpolate"` or
            `"extrapolate"` instead of `"test"`.

    Returns:
        `datasets.Dataset` of records (`id`, `question`, `equations`, `answer`, `target`, `source`;
        the Mathematics Dataset's have `module` and `difficulty` instead of `equations`).
        GSM8K's train split includes `augment_variants` numeric variants per problem, none equal to a
        validation or test question, seeded by `generator_seed`.
    """
    if name in ("generator", "word_problems"):
        config_of = generator_config if name == "generator" else word_problem_config
        # Held-out problems never repeat a training question; validation repeats no test question either.
        excluded = {"train": (), "validation": ("train", "test")}.get(split, ("train",))
        return generated_split(
            config_of(data_args, split), data_args.target, [config_of(data_args, e) for e in excluded]
        )
    if name == "gsm8k":
        path = data_path(name, data_args)
        records = load_gsm8k(path, split, data_args.target)
        if split == "train" and data_args.augment_variants > 0:
            held_out = [*load_gsm8k(path, "validation")["question"]]
            held_out += load_gsm8k(path, "test")["question"]
            variants = augment_numbers(
                records,
                data_args.augment_variants,
                seed=data_args.generator_seed,
                target=data_args.target,
                forbidden_questions=held_out,
            )
            records = datasets.concatenate_datasets([records, variants])
        return records
    if name == "svamp":
        if split != "test":
            raise ValueError(f"SVAMP is for evaluation only (split 'test'), got {split!r}.")
        return load_svamp(data_path(name, data_args), data_args.target)
    if name == "mathematics":
        # Held-out splits are cut here, evenly per module (the files are ordered by module), so the
        # first-N cut of `tokenized_split` finds nothing left to cut.
        return load_mathematics(
            data_path(name, data_args),
            split,
            data_args.target,
            modules=data_args.mathematics_modules,
            max_examples=None if split == "train" else data_args.max_eval_samples,
        )
    raise ValueError(f"Unknown data set {name!r}; expected one of {DATASETS}.")


def tokenized_split(
    name: str,
    data_args,
    split: str,
    tokenizer: PreTrainedTokenizerBase,
    max_question_length: int,
    answer_length: int,
) -> tuple[datasets.Dataset, int]:
    """`load_records` (held-out splits: `data_args.max_eval_samples` records after the first
    `data_args.skip_eval_samples`), tokenised and length-filtered.

    Returns:
        `(dataset, num_records)`: the records that fit, and how many there were before the length filter.

    Raises:
        `ValueError`: Naming the data set and split, when it has no records or none fits the lengths.
    """
    records = load_records(name, data_args, split)
    if len(records) == 0:
        raise ValueError(f"{name}/{split}: the data set has no records.")
    if split != "train":
        start, end = data_args.skip_eval_samples, len(records)
        if name == "mathematics" and start:
            raise ValueError(
                "`skip_eval_samples` does not apply to the Mathematics Dataset: its held-out splits are "
                "cut evenly per module by `max_eval_samples`."
            )
        if start >= end:
            raise ValueError(f"{name}/{split}: `skip_eval_samples` {start} leaves none of its {end} records.")
        if data_args.max_eval_samples is not None:
            end = min(end, start + data_args.max_eval_samples)
        records = records.select(range(start, end))
    tokenized = tokenize_records(records, tokenizer)
    return filter_by_length(tokenized, max_question_length, answer_length, f"{name}/{split}"), len(records)


def build_math_datasets(
    data_args, tokenizer: PreTrainedTokenizerBase, max_question_length: int, answer_length: int
) -> tuple[datasets.Dataset, datasets.Dataset, MathCollator]:
    """Training and held-out datasets of `data_args.dataset`, and a collator of fixed width.

    The trainer's slots keep rows across steps, so every training row is stored at one width: the
    longest training question present after the length filter, not `max_question_length` (the config's
    limit only decides what is dropped); each step then cuts the padding that no row in the slots uses
    (`TRMTrainer`). A held-out batch pads to that width or to its own longest question, whichever is
    longer.

    Returns:
        `(train, held_out, collator)`: tokenised records (with `input_ids`, `labels`) and a
        `MathCollator` padding questions to at least the longest training question.
    """
    if data_args.dataset not in HELD_OUT_SPLIT:
        raise ValueError(f"Cannot train on {data_args.dataset!r}; expected one of {tuple(HELD_OUT_SPLIT)}.")
    lengths = (tokenizer, max_question_length, answer_length)
    train, _ = tokenized_split(data_args.dataset, data_args, "train", *lengths)
    held_out, _ = tokenized_split(data_args.dataset, data_args, HELD_OUT_SPLIT[data_args.dataset], *lengths)
    longest = max(len(ids) for ids in train["input_ids"])
    logger.info(f"Training questions padded to {longest} tokens (max_question_length={max_question_length}).")
    collator = MathCollator(
        tokenizer,
        answer_length,
        max_question_length,
        min_width=longest,
        answer_alignment=data_args.answer_alignment,
    )
    return train, held_out, collator


def build_eval_dataset(
    name: str,
    data_args,
    tokenizer: PreTrainedTokenizerBase,
    max_question_length: int,
    answer_length: int,
    split: str = "test",
) -> tuple[datasets.Dataset, MathCollator, int]:
    """A test split of `name` (by default `"test"`: the generator's held-out problems; see `TEST_SPLITS`),
    tokenised and length-filtered, a collator padding to the longest question of each batch, and the
    number of records before the length filter (those dropped count as wrong in a full-test score)."""
    dataset, num_records = tokenized_split(
        name, data_args, split, tokenizer, max_question_length, answer_length
    )
    collator = MathCollator(
        tokenizer, answer_length, max_question_length, answer_alignment=data_args.answer_alignment
    )
    return dataset, collator, num_records
