"""ACT inference against all supervision steps: held-out batches, timing, exact match."""

from __future__ import annotations

import contextlib
import functools
import statistics
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from transformers import AutoTokenizer, PreTrainedTokenizerBase

import modeling_trm  # noqa: F401  (registers the TRM Auto classes)
from modeling_trm import TRMForMathQA, TRMForPuzzles, TRMPreTrainedModel
from modeling_trm.loading import check_tokenizer_matches, load_saved_model
from training.arguments import parse_arguments
from training.data.collator import decode_answers
from training.data.math_datasets import build_eval_dataset, build_math_datasets
from training.data.puzzles.collator import check_model_fits, collate_puzzles, to_model_columns
from training.data.puzzles.common import load_puzzle_dataset
from training.metrics import grid_scores, string_exact_matches
from training.train import main as train_main

from .settings import GENERATE_MODES, BenchSettings, autocast
from .timing import time_interleaved

MIN_INFERENCE_REPEATS = 5
# ACT's measured speedup over the one its saved steps allow: below 1 by the per-step embedding and
# halting checks; above 1 only when the all-steps passes were slowed by something else.
ACT_AGREEMENT = (0.5, 1.1)


def train_inference_model(settings: BenchSettings, output_dir: str) -> None:
    """Train a small model with `training/train.py`'s `main` from `settings.config` into `output_dir`."""
    argv = ["--config", settings.config, "--output_dir", output_dir, "--do_eval", "false"]
    argv += ["--disable_tqdm", "true"]
    if settings.train_steps is not None:
        argv += ["--max_steps", str(settings.train_steps), "--logging_steps", str(settings.train_steps)]
    train_main(argv)


def load_eval_batches(
    settings: BenchSettings,
) -> tuple[TRMPreTrainedModel, PreTrainedTokenizerBase | None, list[dict[str, torch.Tensor]]]:
    """The saved model `settings.model`, its tokenizer (`None` for a puzzle model) and the held-out
    set in batches: the config's held-out problems, or the test rows of `settings.puzzle_dataset`."""
    model_class = TRMForMathQA if settings.puzzle_dataset is None else TRMForPuzzles
    model = load_saved_model(settings.model, model_class).to(settings.device).eval()
    if settings.puzzle_dataset is not None:
        splits, metadata = load_puzzle_dataset(settings.puzzle_dataset)
        check_model_fits(model.config, metadata, settings.model, settings.puzzle_dataset)
        records = splits["test"]
        start, end = settings.eval_skip_examples, len(records)
        if not 0 <= start < end:
            raise ValueError(f"--eval_skip_examples {start}: the test split has {end} rows.")
        if settings.max_eval_examples is not None:
            end = min(end, start + settings.max_eval_examples)
        tokenizer, collator = None, collate_puzzles
        dataset = to_model_columns(records.select(range(start, end)))
    else:
        tokenizer = AutoTokenizer.from_pretrained(settings.model)
        check_tokenizer_matches(tokenizer, model.config, settings.model, settings.model)
        data_args = parse_arguments(["--config", settings.config])[1]
        data_args.max_eval_samples = settings.max_eval_examples
        data_args.skip_eval_samples = settings.eval_skip_examples
        dataset, collator, _ = build_eval_dataset(
            data_args.dataset,
            data_args,
            tokenizer,
            model.config.max_question_length,
            model.config.answer_length,
        )
    loader = DataLoader(dataset, batch_size=settings.eval_batch_size, collate_fn=collator)
    batches = [{key: value.to(settings.device) for key, value in batch.items()} for batch in loader]
    return model, tokenizer, batches


def check_inputs(settings: BenchSettings) -> None:
    """Refuse, before minutes of timing, what the inference part would refuse at its end: the config, the
    saved model and its tokenizer, the held-out data (and without `--model`, the data to train one on)."""
    if settings.model is not None:
        load_eval_batches(settings)
        return
    model_args, data_args, _ = parse_arguments(["--config", settings.config])
    tokenizer = AutoTokenizer.from_pretrained(model_args.tokenizer_name_or_path)
    build_math_datasets(data_args, tokenizer, model_args.max_question_length, model_args.answer_length)


def generate_pass(
    model: TRMPreTrainedModel, batches: list[dict[str, torch.Tensor]], use_act: bool, settings: BenchSettings
) -> tuple[torch.Tensor, torch.Tensor]:
    """Answer every batch with `generate`; returns the answer tokens and the steps each row ran."""
    sequences, num_steps = [], []
    with autocast(settings):
        for batch in batches:
            output = model.generate(
                **{key: value for key, value in batch.items() if key != "labels"},
                use_act=use_act,
                halt_threshold=settings.halt_threshold,
                return_dict_in_generate=True,
            )
            sequences.append(output.sequences.cpu())
            num_steps.append(output.num_steps.cpu())
    return torch.cat(sequences), torch.cat(num_steps)


def exact_score(
    sequences: torch.Tensor, labels: torch.Tensor, tokenizer: PreTrainedTokenizerBase | None
) -> tuple[str, float]:
    """The fraction of rows answered exactly, and its name: `string_exact_match` for math (the decoded
    answer is the reference string) or `exact_accuracy` for puzzles (every labelled cell right)."""
    if tokenizer is None:
        return "exact_accuracy", grid_scores(sequences, labels)["exact_accuracy"]
    predictions, references = decode_answers(tokenizer, sequences), decode_answers(tokenizer, labels)
    return "string_exact_match", float(string_exact_matches(predictions, references).mean())


def benchmark_inference(settings: BenchSettings) -> dict:
    """Time `generate` with ACT against all N_sup steps (interleaved) and compare their exact match.

    On a shared machine other work only ever slows a pass down, so throughput comes from the best of
    at least `MIN_INFERENCE_REPEATS` repeats, and the spread (slowest over fastest) is reported. Halted
    rows leave the batch, so ACT can save at most the steps it skips: `act_speedup_from_steps` (all
    steps' mean steps over ACT's) bounds `act_speedup`, less the embedding and halting checks. A
    measured speedup outside `ACT_AGREEMENT` times that bound is flagged (`act_speedup_agrees` false):
    the timing was disturbed, not a result.

    Returns:
        `dict` with `num_examples`, `max_supervision_steps`, `halt_threshold`, `score` (the name of the
        exact match scored: `string_exact_match` for math, `exact_accuracy` for puzzles, see
        `exact_score`), per mode (`act`, `all_steps`) `best_s`, `median_s`, `spread`, `times_s`,
        `examples_per_s` (from the best), `mean_steps` and that score, and `act_speedup` (ACT
        examples/s over all-steps examples/s), `act_speedup_from_steps`, `act_speedup_agrees` and
        `accuracy_delta` (the ACT score minus the all-steps score).
    """
    model, tokenizer, batches = load_eval_batches(settings)
    labels = torch.cat([batch["labels"].cpu() for batch in batches])
    passes = {
        mode: functools.partial(generate_pass, model, batches, use_act, settings)
        for mode, use_act in GENERATE_MODES.items()
    }
    repeats = max(settings.repeats, MIN_INFERENCE_REPEATS)
    times = time_interleaved(passes, repeats, settings.warmup, settings.device)
    results: dict = {
        "num_examples": len(labels),
        "max_supervision_steps": model.config.max_supervision_steps,
        "halt_threshold": model.config.halt_threshold
        if settings.halt_threshold is None
        else settings.halt_threshold,
    }
    for mode, run in passes.items():
        sequences, num_steps = run()
        best = min(times[mode])
        score, value = exact_score(sequences, labels, tokenizer)
        results["score"] = score
        results[mode] = {
            "best_s": best,
            "median_s": statistics.median(times[mode]),
            "spread": max(times[mode]) / best,
            "times_s": times[mode],
            "examples_per_s": len(labels) / best,
            "mean_steps": num_steps.float().mean().item(),
            score: value,
        }
    results["act_speedup"] = results["act"]["examples_per_s"] / results["all_steps"]["examples_per_s"]
    results["act_speedup_from_steps"] = results["all_steps"]["mean_steps"] / results["act"]["mean_steps"]
    low, high = ACT_AGREEMENT
    ratio = results["act_speedup"] / results["act_speedup_from_steps"]
    results["act_speedup_agrees"] = low <= ratio <= high
    score = results["score"]
    results["accuracy_delta"] = results["act"][score] - results["all_steps"][score]
    return results


@contextlib.contextmanager
def inference_model(settings: BenchSettings) -> Iterator[tuple[BenchSettings, str]]:
    """Settings pointing at a saved model (`--model`, or one trained now into a temporary folder)."""
    if settings.model is not None:
        yield settings, settings.model
        return
    with tempfile.TemporaryDirectory() as output_dir:
        train_inference_model(settings, output_dir)
        steps = settings.train_steps or "the config's"
        yield replace(settings, model=output_dir), f"trained now: {Path(settings.config).name}, {steps} steps"
