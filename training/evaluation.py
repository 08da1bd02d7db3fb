"""Scoring a saved TRM model on held-out batches, with ACT halting and with every supervision step
run: `evaluate_math_model` (accuracy, the refinement curve, halting, latent dynamics) and
`evaluate_puzzle_model` (grid accuracy, the refinement curve, halting); and the evaluation CLIs'
shared inference arguments. The CLIs are `training/evaluate_model.py` and `training/evaluate_puzzles.py`."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from modeling_trm.calculator import ANSWER_SEPARATOR, execute_chain

from .data.collator import decode_answers
from .metrics import grid_scores, load_gsm8k_accuracy, string_exact_matches, token_exact_match


def add_inference_arguments(parser: argparse.ArgumentParser) -> None:
    """The evaluation CLIs' `--bf16` and `--halt_threshold`."""
    parser.add_argument(
        "--bf16", action="store_true", help="bf16 autocast (faster on GPUs and AMX CPUs, not on other CPUs)."
    )
    parser.add_argument(
        "--halt_threshold",
        type=float,
        default=None,
        help="ACT halts a sequence once its halting logit exceeds this; default: the model config's.",
    )


@torch.inference_mode()
def latent_dynamics(
    model: torch.nn.Module, batch: dict[str, torch.Tensor], steps: int
) -> dict[str, list[float]]:
    """How far `y` and `z` move per supervision step: mean relative L2 change, step by step."""
    carry = model.initial_carry(batch["input_ids"])
    moves: dict[str, list[float]] = {"y": [], "z": []}
    for _ in range(steps):
        new = model(batch["input_ids"], attention_mask=batch.get("attention_mask"), carry=carry).carry
        for name in moves:
            old_state, new_state = getattr(carry, name).float(), getattr(new, name).float()
            change = (new_state - old_state).flatten(1).norm(dim=-1) / old_state.flatten(1).norm(dim=-1)
            moves[name].append(change.mean().item())
        carry = new
    return moves


def evaluate_math_model(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    batches: Sequence[dict[str, torch.Tensor]],
    max_supervision_steps: int | None = None,
    groups: Sequence[str] | None = None,
) -> dict:
    """Score `model` on collated `batches` (with `labels`): ACT run, all-steps run, halting, dynamics.

    Args:
        groups (`Sequence`, *optional*): Each example's group in batch order (e.g. its Mathematics
            Dataset module, or its number of steps), for `per_group`.

    Returns:
        `dict` with `accuracy` (numeric, GSM8K-style), `exact_match` (every answer token) and
        `string_exact_match` (the whole decoded answer string) of the ACT run, `accuracy_all_steps`,
        `accuracy_per_step` (the refinement curve), `exact_match_per_step`,
        `string_exact_match_per_step`, `halt_step_histogram`, `mean_halt_steps`, `latent_dynamics`,
        `examples_per_second` (ACT) and `examples_per_second_all_steps`; with `groups`, also `per_group`
        (`{group: {"accuracy", "exact_match", "string_exact_match", "num_examples"}}`, ACT). When the
        references are equation chains (`#### `), also `calculator`: `accuracy`, `accuracy_per_step` (and
        `per_group`) after calculator decoding (`equations.execute_chain`), never mixed with the above.
    """
    model.eval()
    steps = max_supervision_steps or model.config.max_supervision_steps
    metric = load_gsm8k_accuracy(keep_in_memory=True)
    references, act_predictions, num_steps, step_predictions, labels = [], [], [], [], []
    act_seconds = full_seconds = 0.0
    for batch in batches:
        inputs = {"input_ids": batch["input_ids"], "attention_mask": batch.get("attention_mask")}
        start = time.perf_counter()
        act = model.generate(**inputs, max_supervision_steps=steps, return_dict_in_generate=True)
        act_seconds += time.perf_counter() - start
        start = time.perf_counter()
        full = model.generate(
            **inputs,
            max_supervision_steps=steps,
            use_act=False,
            return_dict_in_generate=True,
            output_step_predictions=True,
        )
        full_seconds += time.perf_counter() - start
        act_predictions.append(act.sequences)
        num_steps.append(act.num_steps)
        step_predictions.append(full.step_predictions)
        labels.append(batch["labels"])
        references += decode_answers(tokenizer, batch["labels"])

    labels_all = torch.cat(labels)
    act_all = torch.cat(act_predictions)
    steps_all = torch.cat(num_steps)
    per_step = torch.cat(step_predictions, dim=1)
    num_examples = len(references)

    def accuracy(answers: list[str]) -> float:
        return metric.compute(predictions=answers, references=references)["accuracy"]

    act_answers = decode_answers(tokenizer, act_all)
    step_answers = [decode_answers(tokenizer, step) for step in per_step]
    act_token_matches = token_exact_match(act_all, labels_all).cpu().numpy()
    act_string_matches = string_exact_matches(act_answers, references)
    histogram = Counter(steps_all.tolist())
    results = {
        "num_examples": num_examples,
        "accuracy": accuracy(act_answers),
        "exact_match": float(act_token_matches.mean()),
        "string_exact_match": float(act_string_matches.mean()),
        "accuracy_all_steps": accuracy(step_answers[-1]),
        "accuracy_per_step": [accuracy(answers) for answers in step_answers],
        "exact_match_per_step": [
            float(token_exact_match(step, labels_all).cpu().numpy().mean()) for step in per_step
        ],
        "string_exact_match_per_step": [
            float(string_exact_matches(answers, references).mean()) for answers in step_answers
        ],
        "mean_halt_steps": float(steps_all.float().mean()),
        "halt_step_histogram": {int(step): histogram[step] for step in sorted(histogram)},
        "latent_dynamics": latent_dynamics(model, batches[0], steps)
        if not model.config.single_pass
        else None,
        "examples_per_second": num_examples / act_seconds,
        "examples_per_second_all_steps": num_examples / full_seconds,
    }
    if groups is not None:
        results["per_group"] = scores_per_group(
            groups, act_answers, references, act_token_matches, act_string_matches, metric
        )
    if any(ANSWER_SEPARATOR in reference for reference in references):
        # Equation-chain answers are also scored after calculator decoding, kept apart from the above.
        act_executed = [execute_chain(answer) for answer in act_answers]
        results["calculator"] = {
            "accuracy": accuracy(act_executed),
            "accuracy_per_step": [accuracy([execute_chain(a) for a in answers]) for answers in step_answers],
        }
        if groups is not None:
            executed_matches = string_exact_matches(act_executed, references)
            results["calculator"]["per_group"] = {
                group: {"accuracy": scores["accuracy"], "num_examples": scores["num_examples"]}
                for group, scores in scores_per_group(
                    groups, act_executed, references, executed_matches, executed_matches, metric
                ).items()
            }
    return results


def scores_per_group(
    groups: Sequence,
    answers: list[str],
    references: list[str],
    token_matches: np.ndarray,
    string_matches: np.ndarray,
    metric,
) -> dict[str, dict[str, float | int]]:
    """`accuracy` (numeric), `exact_match` (tokens), `string_exact_match` and `num_examples` per group,
    groups in sorted order and named by `str` (e.g. a module, or a number of steps)."""
    members: dict = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    scores = {}
    for group in sorted(members):
        rows = members[group]
        scores[str(group)] = {
            "accuracy": metric.compute(
                predictions=[answers[i] for i in rows], references=[references[i] for i in rows]
            )["accuracy"],
            "exact_match": float(token_matches[rows].mean()),
            "string_exact_match": float(string_matches[rows].mean()),
            "num_examples": len(rows),
        }
    return scores


@torch.inference_mode()
def evaluate_puzzle_model(
    model: torch.nn.Module, batches: list[dict[str, torch.Tensor]]
) -> tuple[dict, torch.Tensor]:
    """Score `model` on `batches` with ACT halting and with every supervision step run.

    Returns:
        `tuple[dict, torch.Tensor]`: the results and the all-steps predictions `[N, seq_len]`. Results:
        `num_examples`, `exact_accuracy`, `token_accuracy`, `mean_halt_steps`,
        `halt_step_histogram` (ACT); `exact_accuracy_per_step`, `token_accuracy_per_step`,
        `exact_accuracy_all_steps` (every step run); `examples_per_second` of both modes. `accuracy`
        and `accuracy_per_step` repeat the exact accuracies for the shared plots.
    """
    labels = torch.cat([batch["labels"] for batch in batches]).cpu()
    inputs = [{k: v for k, v in batch.items() if k != "labels"} for batch in batches]

    start = time.perf_counter()
    act = [model.generate(**batch, return_dict_in_generate=True) for batch in inputs]
    act_seconds = time.perf_counter() - start
    start = time.perf_counter()
    full = [
        model.generate(**batch, use_act=False, return_dict_in_generate=True, output_step_predictions=True)
        for batch in inputs
    ]
    full_seconds = time.perf_counter() - start

    act_scores = grid_scores(torch.cat([out.sequences for out in act]).cpu(), labels)
    steps = torch.cat([out.num_steps for out in act]).cpu()
    per_step = torch.cat([out.step_predictions for out in full], dim=1).cpu()  # [steps, N, seq_len]
    step_scores = [grid_scores(prediction, labels) for prediction in per_step]
    histogram = Counter(steps.tolist())
    results = {
        "num_examples": len(labels),
        **act_scores,
        "accuracy": act_scores["exact_accuracy"],
        "mean_halt_steps": float(steps.float().mean()),
        "halt_step_histogram": {int(step): histogram[step] for step in sorted(histogram)},
        "exact_accuracy_all_steps": step_scores[-1]["exact_accuracy"],
        "exact_accuracy_per_step": [scores["exact_accuracy"] for scores in step_scores],
        "token_accuracy_per_step": [scores["token_accuracy"] for scores in step_scores],
        "accuracy_per_step": [scores["exact_accuracy"] for scores in step_scores],
        "examples_per_second": len(labels) / act_seconds,
        "examples_per_second_all_steps": len(labels) / full_seconds,
    }
    return results, per_step[-1]
