"""Targets made of calculator chains: write the model's target text, split it, check that a chain
re-executes to its answer. The chain arithmetic itself is `modeling_trm.calculator`.
"""

from __future__ import annotations

from collections.abc import Sequence

from modeling_trm.calculator import (
    ANSWER_SEPARATOR,
    chain_text,
    evaluate,
    extract_steps,
    parse_number,
    split_step,
)

# What the model is trained to write: the final answer alone, the equation chain then the answer, or
# the running values (every step's result) then the answer.
TARGET_KINDS = ("final", "equations", "running")

# Why a chain does not re-execute to its answer, in the order they are checked.
CHAIN_FAILURES = (
    "no_equations",  # the solution has no calculator annotation
    "unparseable_step",  # a step is not `expression=number` over + - * / // and parentheses
    "wrong_step_result",  # a step's expression does not evaluate to the result written after `=`
    "answer_from_earlier_step",  # the final answer is an earlier step's result, not the last one's
    "answer_not_in_chain",  # the final answer is no step's result
)


def target_text(kind: str, steps: Sequence[str], answer: str) -> str:
    """The model's target of `kind`: `"final"` gives `"72"`, `"equations"` gives `chain_text(steps, answer)`
    and `"running"` gives `running_text(steps, answer)`.

    Raises:
        `ValueError`: When `kind` is not one of `TARGET_KINDS`.
    """
    if kind not in TARGET_KINDS:
        raise ValueError(f"target kind must be one of {TARGET_KINDS}, got {kind!r}")
    if kind == "final":
        return answer
    return chain_text(steps, answer) if kind == "equations" else running_text(steps, answer)


def running_text(steps: Sequence[str], answer: str) -> str:
    """The result of every step but the last, then the answer in GSM8K's format: the steps
    `["48/2=24", "48+24=72"]` give `"24 #### 72"`. Every answer token is then one step of the chain,
    supervised apart (a dense target), while the metric still reads the number after `####`."""
    return " ".join([*(split_step(step)[1].strip() for step in steps[:-1]), ANSWER_SEPARATOR, answer])


def split_target(target: str) -> tuple[list[str], str]:
    """Invert `chain_text`: the steps and the answer of an equations target.

    Raises:
        `ValueError`: When `target` has no `####`.
    """
    if ANSWER_SEPARATOR not in target:
        raise ValueError(f"target {target!r} has no {ANSWER_SEPARATOR!r}")
    chain, answer = target.rsplit(ANSWER_SEPARATOR, 1)
    return extract_steps(chain), answer.strip()


def check_chain(steps: Sequence[str], answer: str) -> str | None:
    """Re-execute a chain and say why it does not reproduce `answer`.

    Args:
        steps (`Sequence[str]`): Annotation bodies such as `"48/2=24"`.
        answer (`str`): The final answer, e.g. `"72"` or `"40,000"`.

    Returns:
        `str | None`: `None` when every step evaluates to its written result and the last result equals
        `answer`; otherwise the first failing reason of `CHAIN_FAILURES`.
    """
    if not steps:
        return "no_equations"
    results = []
    for step in steps:
        try:
            expression, result = split_step(step)
            value, written = evaluate(expression), parse_number(result)
        except ValueError:
            return "unparseable_step"
        if value != written:
            return "wrong_step_result"
        results.append(written)
    final = parse_number(answer)
    if results[-1] == final:
        return None
    return "answer_from_earlier_step" if final in results else "answer_not_in_chain"
