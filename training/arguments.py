"""Command-line arguments of the training entry points, as `HfArgumentParser` dataclasses plus a YAML file.

Math (`training/train.py`): `ModelArguments`, `DataArguments`, `TRMTrainingArguments` (`parse_arguments`).
Puzzles (`training/train_puzzles.py`): `PuzzleModelArguments`, `PuzzleDataArguments`,
`TRMTrainingArguments` (`parse_puzzle_arguments`). The model fields of a fresh model default to the
config classes' defaults (`TRMConfig`, `TRMPuzzleConfig`), read from them rather than written again.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
import yaml
from transformers import HfArgumentParser, PretrainedConfig, TrainingArguments

from modeling_trm import TRMConfig, TRMPuzzleConfig
from modeling_trm.configuration_trm import LOSS_TYPES, MIXERS, POS_ENCODINGS

from .data.collator import check_answer_alignment
from .data.equations import TARGET_KINDS
from .precision import bf16_is_faster

# What a saved model's config may take from a new run: how it recurses, halts and is trained, not its shape.
SETTINGS_A_SAVED_MODEL_TAKES = frozenset(
    {"H_cycles", "L_cycles", "halt_max_steps", "halt_exploration_prob", "single_pass", "loss_type",
     "q_loss_weight", "puzzle_emb_lr"}
)  # fmt: skip
DEFAULT_TOKENIZER = str(Path(__file__).resolve().parents[1] / "tokenization" / "trm-math-bpe")
# The configs' own defaults (the paper's), so that an argument left unset builds the default config.
_MATH_DEFAULTS = TRMConfig()
_PUZZLE_DEFAULTS = TRMPuzzleConfig()

logger = logging.getLogger(__name__)


@dataclass
class RecursionArguments:
    """What every TRM head's arguments share: a saved model to start from, or the recursion's shape,
    halting and loss for a fresh config."""

    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Start from this saved model (path or Hub id). Of the fields below, the recursion, "
            "halting and loss settings given in the config or on the command line replace the saved ones; "
            "a given architecture field must equal the saved one."
        },
    )
    hidden_size: int = field(default=_MATH_DEFAULTS.hidden_size, metadata={"help": "Width D of x, y, z."})
    num_heads: int = field(default=_MATH_DEFAULTS.num_heads, metadata={"help": "Attention heads."})
    expansion: float = field(default=_MATH_DEFAULTS.expansion, metadata={"help": "SwiGLU expansion."})
    num_layers: int = field(
        default=_MATH_DEFAULTS.num_layers, metadata={"help": "Blocks in the tiny network."}
    )
    H_cycles: int = field(
        default=_MATH_DEFAULTS.H_cycles, metadata={"help": "T: improvement cycles per supervision step."}
    )
    L_cycles: int = field(default=_MATH_DEFAULTS.L_cycles, metadata={"help": "n: latent updates per cycle."})
    halt_max_steps: int = field(
        default=_MATH_DEFAULTS.halt_max_steps, metadata={"help": "N_sup: supervision steps at most."}
    )
    halt_exploration_prob: float = field(
        default=_MATH_DEFAULTS.halt_exploration_prob, metadata={"help": "ACT exploration probability."}
    )
    mixer: str = field(default=_MATH_DEFAULTS.mixer, metadata={"help": f"Token mixer, one of {MIXERS}."})
    pos_encoding: str = field(
        default=_MATH_DEFAULTS.pos_encoding, metadata={"help": f"One of {POS_ENCODINGS}."}
    )
    single_pass: bool = field(
        default=_MATH_DEFAULTS.single_pass, metadata={"help": "Train the single-pass baseline instead."}
    )
    loss_type: str = field(default=_MATH_DEFAULTS.loss_type, metadata={"help": f"One of {LOSS_TYPES}."})
    q_loss_weight: float = field(
        default=_MATH_DEFAULTS.q_loss_weight, metadata={"help": "Weight of the halting loss."}
    )

    # The fields named in the YAML config or on the command line (`parse_with_config` fills it).
    given_fields: frozenset[str] = field(default=frozenset(), init=False, repr=False)

    def config_kwargs(self) -> dict:
        """The model config fields given here (all but where to load from)."""
        skip = {"model_name_or_path", "tokenizer_name_or_path", "given_fields"}
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if name not in skip}

    def apply_to_saved(self, config: PretrainedConfig, source: str) -> None:
        """Bring a saved model's config in line with the fields given for this run.

        Recursion, halting and loss settings (`SETTINGS_A_SAVED_MODEL_TAKES`) replace the saved ones;
        any other given field (the architecture) must equal the saved value.

        Raises:
            `ValueError`: Naming `source`, the field and both values, when an architecture field differs.
        """
        for name, value in self.config_kwargs().items():
            saved = getattr(config, name)
            if name not in self.given_fields or value == saved:
                continue
            if name not in SETTINGS_A_SAVED_MODEL_TAKES:
                raise ValueError(
                    f"{source}: the saved model has {name}={saved!r}, and {name}={value!r} was given; the "
                    "architecture of a saved model cannot change (drop the argument, or train a fresh model)."
                )
            logger.warning("%s: %s=%r replaces the saved %r.", source, name, value, saved)
            setattr(config, name, value)


@dataclass
class ModelArguments(RecursionArguments):
    """Which math model to train: a saved one, or a fresh `TRMConfig` built from these fields."""

    tokenizer_name_or_path: str = field(
        default=DEFAULT_TOKENIZER, metadata={"help": "Tokenizer path or Hub id."}
    )
    max_question_length: int = field(
        default=_MATH_DEFAULTS.max_question_length, metadata={"help": "Longest question in tokens."}
    )
    answer_length: int = field(
        default=_MATH_DEFAULTS.answer_length, metadata={"help": "Answer slots (target tokens + eos)."}
    )


@dataclass
class DataArguments:
    """Which data to train and evaluate on."""

    dataset: str = field(
        default="generator",
        metadata={"help": "`generator`, `word_problems` (both embedded), `gsm8k` or `mathematics`."},
    )
    generator_task: str = field(
        default="word_problems",
        metadata={
            "help": "Generator task: word_problems, arithmetic_chain, modular_chain, carry_addition, "
            "multiplication, addition"
        },
    )
    min_ops: int = field(
        default=1,
        metadata={
            "help": "Generator and word problems: fewest operations (steps) per problem; carry_addition: "
            "shortest longest carry chain."
        },
    )
    max_ops: int = field(
        default=2,
        metadata={
            "help": "Generator and word problems: most operations (steps) per problem; carry_addition: "
            "longest carry chain."
        },
    )
    min_value: int = field(default=1, metadata={"help": "Generator: smallest operand."})
    max_value: int = field(default=20, metadata={"help": "Generator: largest operand."})
    modulus: int = field(default=10, metadata={"help": "Generator (modular_chain): the modulus."})
    test_min_ops: int | None = field(
        default=None, metadata={"help": "Generator test split: fewest operations (default: min_ops)."}
    )
    test_max_ops: int | None = field(
        default=None, metadata={"help": "Generator test split: most operations (default: max_ops)."}
    )
    word_problem_kinds: list[str] = field(
        default_factory=list, metadata={"help": "Word problems: story kinds to draw (default: all)."}
    )
    held_out_kinds: list[str] = field(
        default_factory=lambda: ["comparisons"],
        metadata={"help": "Word problems: kinds kept out of training for the `test_kinds` split."},
    )
    word_problem_max_value: int = field(
        default=9999, metadata={"help": "Word problems: largest value anywhere on a chain."}
    )
    num_digits: int = field(
        default=2,
        metadata={"help": "Generator (multiplication, addition, carry_addition): digits per operand."},
    )
    num_train_examples: int = field(default=20000, metadata={"help": "Generator: training problems."})
    num_eval_examples: int = field(default=1000, metadata={"help": "Generator: held-out problems."})
    generator_seed: int = field(
        default=0, metadata={"help": "Generator seed (test problems use seed + 1, validation seed + 2)."}
    )
    gsm8k_path: str = field(default="../shared/data/gsm8k", metadata={"help": "GSM8K folder or Hub id."})
    svamp_path: str = field(
        default="../shared/data/svamp", metadata={"help": "SVAMP folder (evaluation only)."}
    )
    mathematics_path: str = field(
        default="../shared/data/mathematics-dataset", metadata={"help": "Mathematics Dataset folder."}
    )
    mathematics_modules: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Mathematics Dataset modules to keep (a training module's name also keeps its "
            "extrapolation module); default: all six."
        },
    )
    target: str = field(
        default="equations",
        metadata={"help": "What the model writes: `equations`, `final` or `running` (every step's result)."},
    )
    answer_alignment: str = field(
        default="left",
        metadata={
            "help": "Where the answer sits in its slots: `left` (from the first slot) or `right` (ending "
            "in the last slot, scored pad tokens before it, so a digit's place keeps its slot)."
        },
    )
    augment_variants: int = field(
        default=0, metadata={"help": "GSM8K: numeric variants per training problem."}
    )
    max_eval_samples: int | None = field(default=None, metadata={"help": "Evaluate on at most this many."})
    skip_eval_samples: int = field(
        default=0,
        metadata={
            "help": "Skip this many held-out records first (then `max_eval_samples`): one slice to "
            "choose a setting such as the halting threshold on, another to measure it on."
        },
    )

    def __post_init__(self) -> None:
        if self.dataset not in ("generator", "word_problems", "gsm8k", "mathematics"):
            raise ValueError(
                f"`dataset` must be generator, word_problems, gsm8k or mathematics, got {self.dataset!r}."
            )
        if self.target not in TARGET_KINDS:
            raise ValueError(f"`target` must be one of {TARGET_KINDS}, got {self.target!r}.")
        check_answer_alignment(self.answer_alignment)
        if self.dataset == "mathematics" and self.target != "final":
            raise ValueError("The Mathematics Dataset has final answers only: set `target` to `final`.")
        if self.skip_eval_samples < 0:
            raise ValueError(f"`skip_eval_samples` must be at least 0, got {self.skip_eval_samples}.")
        for name in ("num_train_examples", "num_eval_examples", "max_eval_samples"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"`{name}` must be at least 1 (a data set needs an example), got {value}.")


@dataclass
class PuzzleModelArguments(RecursionArguments):
    """Which puzzle model to train: a saved one, or a fresh `TRMPuzzleConfig` from these fields and the
    dataset (grid size, vocabulary and puzzle identifiers come from its `metadata.json`).

    Three defaults differ from `TRMPuzzleConfig`'s on purpose: the paper's Sudoku recipe (TRM-MLP
    without position encoding, puzzle-embedding rate 1e-4), where the config keeps the general model
    and the reference code's rate (1e-2).
    """

    mixer: str = field(default="mlp", metadata={"help": f"Token mixer, one of {MIXERS}."})
    pos_encoding: str = field(default="none", metadata={"help": f"One of {POS_ENCODINGS}."})
    puzzle_emb_len: int = field(
        default=_PUZZLE_DEFAULTS.puzzle_emb_len, metadata={"help": "Puzzle-embedding positions (0: none)."}
    )
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


@dataclass
class TRMTrainingArguments(TrainingArguments):
    """`TrainingArguments` plus the EMA decay (`0` turns EMA off), the training halting rule and `bf16`
    chosen by the hardware."""

    ema_decay: float = field(default=0.999, metadata={"help": "EMA decay of the weights; 0 disables EMA."})
    supervision_warmup_steps: int = field(
        default=0,
        metadata={
            "help": "Grow the training cap on supervision steps per example from 1 to N_sup over this many "
            "optimizer steps; 0 keeps N_sup from the start (the paper)."
        },
    )
    halt_on_correct: bool = field(
        default=False,
        metadata={
            "help": "In training, also halt an example once its whole answer is right; the paper "
            "halts on the halting head alone."
        },
    )
    halt_on_stable: bool = field(
        default=False,
        metadata={
            "help": "In training, also halt an example once its predicted answer is the same as after its "
            "previous supervision step."
        },
    )
    bf16_auto: bool = field(
        default=False,
        metadata={
            "help": "Set `bf16` by the hardware: on for GPUs with bf16; on a CPU with bf16 instructions, "
            "on when a short matmul probe finds bf16 faster than fp32 (cached per machine). Overrides `bf16`."
        },
    )

    early_stopping_patience: int = field(
        default=0,
        metadata={
            "help": "Stop once `metric_for_best_model` on the validation set has not improved for this many "
            "evaluations (train to a plateau); 0 trains for `max_steps`."
        },
    )

    stop_at_metric: float | None = field(
        default=None,
        metadata={
            "help": "Stop once an evaluation's `metric_for_best_model` reaches this value (e.g. 0.95: the "
            "time to a target accuracy)."
        },
    )

    max_train_minutes: float | None = field(
        default=None,
        metadata={
            "help": "Stop once this many minutes of training (wall clock, evaluations not counted) are "
            "spent, after a last evaluation where `eval_strategy` is steps; `max_steps` still caps training."
        },
    )

    def trainer_kwargs(self) -> dict:
        """The `TRMTrainer` keyword arguments these arguments set (EMA, halting rule, early stopping,
        time budget)."""
        return {
            "ema_decay": self.ema_decay or None,
            "supervision_warmup_steps": self.supervision_warmup_steps,
            "halt_on_correct": self.halt_on_correct,
            "halt_on_stable": self.halt_on_stable,
            "early_stopping_patience": self.early_stopping_patience,
            "stop_at_metric": self.stop_at_metric,
            "max_train_minutes": self.max_train_minutes,
        }

    def __post_init__(self) -> None:
        if self.bf16_auto:
            on_gpu = torch.cuda.is_available() and not self.use_cpu
            self.bf16 = bf16_is_faster("cuda" if on_gpu else "cpu")
            # A GPU config run where there is no GPU: transformers takes bf16 on the CPU only with `use_cpu`.
            self.use_cpu = self.use_cpu or (self.bf16 and not on_gpu)
        super().__post_init__()


def _option_actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Every option of `parser` by name without dashes (`hidden_size`, `hidden-size`), to its action."""
    # argparse has no public lookup of an option's action; `_actions` has been there since Python 2.7.
    return {option.lstrip("-"): action for action in parser._actions for option in action.option_strings}


def _check_config_value(path: str, name: str, value: object, action: argparse.Action) -> None:
    """Raise a `ValueError` naming `path` and `name` unless `value` is what the option `action` takes."""
    items = value if isinstance(value, list) else [value]
    if action.nargs == 0:
        raise ValueError(f"{path}: `{name}` is a command-line switch without a value; set its field instead.")
    if isinstance(value, list) and action.nargs not in ("+", "*"):
        raise ValueError(f"{path}: `{name}` takes one value, got {value!r}.")
    if not items and action.nargs == "+":
        raise ValueError(f"{path}: `{name}` takes a list of at least one value, got an empty list.")
    for item in items:
        try:
            converted = action.type(str(item)) if action.type is not None else str(item)
        except (ValueError, TypeError, argparse.ArgumentTypeError) as error:
            expected = getattr(action.type, "__name__", "value")
            raise ValueError(f"{path}: `{name}`: {item!r} is not a valid {expected} ({error}).") from error
        if action.choices is not None and converted not in action.choices:
            raise ValueError(f"{path}: `{name}` must be one of {list(action.choices)}, got {item!r}.")


def yaml_to_argv(path: str, parser: argparse.ArgumentParser) -> list[str]:
    """Turn a YAML mapping of argument names to values into command-line arguments of `parser`.

    Raises:
        `ValueError`: Naming the file and the key, for a key that is no argument of `parser` or a value
            that argument cannot take (checked here, since argparse's own error would not name the file).
    """
    with open(path) as handle:
        values = yaml.safe_load(handle) or {}
    if not isinstance(values, dict):
        raise ValueError(
            f"{path}: expected a mapping of argument names to values, got {type(values).__name__}."
        )
    actions = _option_actions(parser)
    argv = []
    for name, value in values.items():
        if name not in actions:
            close = difflib.get_close_matches(str(name), actions, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else "."
            raise ValueError(f"{path}: unknown key `{name}`: no argument has that name{hint}")
        _check_config_value(path, name, value, actions[name])
        items = value if isinstance(value, list) else [value]
        argv += [f"--{name}", *(str(item) for item in items)]
    return argv


def parse_with_config(dataclass_types: tuple[type, ...], argv: list[str] | None = None) -> tuple:
    """Parse `--config FILE.yaml` (optional) and the command line into `dataclass_types`; the
    command line wins."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = HfArgumentParser(dataclass_types)
    if "--config" in argv:
        at = argv.index("--config")
        if at + 1 >= len(argv):
            raise ValueError("--config needs a YAML file path.")
        argv = yaml_to_argv(argv[at + 1], parser) + argv[:at] + argv[at + 2 :]
    parsed = parser.parse_args_into_dataclasses(args=argv)
    named = {arg[2:].split("=", 1)[0] for arg in argv if arg.startswith("--")}
    for arguments in parsed:
        if isinstance(arguments, RecursionArguments):
            arguments.given_fields = frozenset(named & set(arguments.config_kwargs()))
    return parsed


def parse_arguments(
    argv: list[str] | None = None,
) -> tuple[ModelArguments, DataArguments, TRMTrainingArguments]:
    """The math training arguments from `--config FILE.yaml` (optional) and the command line."""
    return parse_with_config((ModelArguments, DataArguments, TRMTrainingArguments), argv)


def parse_puzzle_arguments(
    argv: list[str] | None = None,
) -> tuple[PuzzleModelArguments, PuzzleDataArguments, TRMTrainingArguments]:
    """The puzzle training arguments from `--config FILE.yaml` (optional) and the command line."""
    return parse_with_config((PuzzleModelArguments, PuzzleDataArguments, TRMTrainingArguments), argv)
