"""Numeric augmentation of GSM8K: new numbers in a question, its equation chain re-executed.

For a training problem whose chain re-executes to its answer (`equations.check_chain`), every number
literal of the chain is bound to what it stands for: the result of an earlier step, an integer
written once in the question (a *variable*), or a constant (`2` for "half", `60` minutes, a decimal
price, a number the question writes twice). A variant draws new values for the variables, re-runs
the chain and is kept only when every step is still a grade-school value: non-negative, an integer
where the original step was one, otherwise a decimal of at most `max(2, original places)` places.
The question text changes only where a variable is written. This keeps the arithmetic right by
construction; it cannot check that the story still makes sense (e.g. an "hour" of 75 minutes).
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import datasets
from transformers.utils import logging

from modeling_trm.calculator import NUMBER, decimal_places, evaluate, format_number, parse_number, split_step

from .equations import check_chain, split_target, target_text

logger = logging.get_logger(__name__)

AUGMENTED_SOURCE = "gsm8k-augmented"
# A whole number in running text; fractions ("1/2"), times ("3:30"), ordinals ("5th") and
# number-like parts of words are not matched.
QUESTION_NUMBER = re.compile(r"(?<![\w.,/:-])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w/:]|[.,]\d)")
# Every number written with digits, in any context.
ANY_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+")
# Values a question can state in words; a chain literal equal to one is a constant of the question.
NUMBER_WORDS: dict[str, tuple[Fraction, ...]] = {
    **{
        word: (Fraction(value),)
        for value, word in enumerate(
            "one two three four five six seven eight nine ten eleven twelve".split(), start=1
        )
    },
    **{word: (Fraction(value),) for word, value in (("twenty", 20), ("thirty", 30), ("forty", 40))},
    **{word: (Fraction(value),) for word, value in (("fifty", 50), ("hundred", 100), ("dozen", 12))},
    **{word: (Fraction(2),) for word in ("twice", "double", "doubled", "pair", "couple")},
    **{word: (Fraction(3),) for word in ("triple", "tripled", "thrice", "third", "thirds")},
    "half": (Fraction(2), Fraction(1, 2)),
    "quarter": (Fraction(4), Fraction(1, 4)),
    "quarters": (Fraction(4), Fraction(1, 4)),
}
_WORD = re.compile(r"[a-z]+")
# Conversion factors a solution may use without the question stating them (minutes per hour, ...).
UNIT_CONSTANTS = frozenset(Fraction(value) for value in (1, 2, 7, 10, 12, 24, 30, 52, 60, 100, 365, 1000))
# 1 and 2 are never re-sampled: 2 is the most common unstated factor (a weekend, a pair), and
# "1 hour" -> "3 hour" would break the grammar.
MIN_VARIABLE_VALUE = 3


@dataclass(frozen=True)
class _Literal:
    """A number literal of a step: its span in the expression and what it stands for."""

    start: int
    end: int
    kind: str  # "step" (an earlier result), "variable" (a question number) or "constant"
    key: int | Fraction | None  # the step index or the variable's original value


@dataclass(frozen=True)
class _Problem:
    """A training problem prepared for re-sampling."""

    question: str
    variables: dict[Fraction, tuple[int, int, str]]  # value -> its span and text in the question
    steps: list[tuple[str, list[_Literal], Fraction]]  # expression, its literals, original result


def _read_question(question: str) -> tuple[dict[Fraction, tuple[int, int, str]], Counter[Fraction]]:
    """The question's variables and how often it states every other value.

    Variables are integers >= 3 written once, in digits, in running text, and not also in words.
    The other values are its other numbers (also divided by 100, for percentages) and numbers in
    words, counted once per mention.
    """
    digits = Counter(parse_number(match.group()) for match in ANY_NUMBER.finditer(question))
    in_words = Counter(
        value for word in _WORD.findall(question.lower()) for value in NUMBER_WORDS.get(word, ())
    )
    variables = {}
    for match in QUESTION_NUMBER.finditer(question):
        value = parse_number(match.group())
        if (
            value.denominator == 1
            and value >= MIN_VARIABLE_VALUE
            and digits[value] == 1
            and not in_words[value]
        ):
            variables[value] = (match.start(), match.end(), match.group())
    constants = Counter({value: count for value, count in digits.items() if value not in variables})
    constants.update({value / 100: count for value, count in digits.items()})
    constants.update(in_words)
    return variables, constants


def _prepare(question: str, steps: list[str]) -> _Problem | str:
    """Bind every literal of a chain that re-executes to one meaning.

    Returns:
        `_Problem`, or the reason it cannot be augmented: `"ambiguous_number"` (a literal could be
        two things), `"overused_constant"` (the chain uses a value the question states more often
        than the question does: likely a result worked out in the head that happens to be equal, like
        a 10 % discount of 6 on $60 in a question that mentions 6 croissants), `"unexplained_number"`
        (a literal is none of them) or `"no_variable"`.
    """
    variables, constants = _read_question(question)
    results: list[Fraction] = []
    prepared, used, constant_uses = [], set(), Counter()
    for step in steps:
        expression, result = split_step(step)
        literals = []
        for match in NUMBER.finditer(expression):
            value = parse_number(match.group())
            earlier = [index for index, known in enumerate(results) if known == value]
            meanings = len(earlier) + (value in variables) + (value in constants)
            if meanings > 1:
                return "ambiguous_number"
            if earlier:
                literals.append(_Literal(match.start(), match.end(), "step", earlier[0]))
            elif value in variables:
                literals.append(_Literal(match.start(), match.end(), "variable", value))
                used.add(value)
            elif value in constants:
                constant_uses[value] += 1
                if constant_uses[value] > constants[value] and value not in UNIT_CONSTANTS:
                    return "overused_constant"
                literals.append(_Literal(match.start(), match.end(), "constant", None))
            elif value in UNIT_CONSTANTS:
                literals.append(_Literal(match.start(), match.end(), "constant", None))
            else:
                return "unexplained_number"
        results.append(parse_number(result))
        prepared.append((expression, literals, results[-1]))
    if not used:
        return "no_variable"
    return _Problem(question, {value: variables[value] for value in used}, prepared)


def _draw(rng: random.Random, value: Fraction) -> int:
    """A new integer near `value` that keeps its trailing zeros (1000 -> 2000, 48 -> 24..96)."""
    whole = int(value)
    unit = 10 ** (len(str(whole)) - len(str(whole).rstrip("0"))) if whole >= 10 else 1
    count = whole // unit
    low, high = max(1, math.ceil(count / 2)), max(2 * count, count + 2)
    return max(MIN_VARIABLE_VALUE, rng.randint(low, high) * unit)


def _write_like(original: str, value: int) -> str:
    """`value` written as `original` was: with thousands separators, with decimals (`"15.00"`)."""
    places = len(original.partition(".")[2])
    written = f"{value:,}" if "," in original else str(value)
    return f"{written}.{'0' * places}" if places else written


def _is_grade_school(new: Fraction, original: Fraction) -> bool:
    if new < 0:
        return False
    if original.denominator == 1:
        return new.denominator == 1
    places = decimal_places(new)
    return places is not None and places <= max(2, decimal_places(original) or 0)


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _variant(problem: _Problem, rng: random.Random) -> tuple[str, list[str], str] | None:
    """One re-sampled (question, steps, answer), or `None` when a step leaves grade-school values."""
    values = {value: _draw(rng, value) for value in problem.variables}
    results: list[Fraction] = []
    written: list[str] = []
    steps = []
    for expression, literals, original in problem.steps:
        replacements = []
        for literal in literals:
            if literal.kind == "step":
                replacements.append((literal.start, literal.end, written[literal.key]))
            elif literal.kind == "variable":
                replacements.append((literal.start, literal.end, str(values[literal.key])))
        new_expression = _replace(expression, replacements)
        try:
            result = evaluate(new_expression)
        except ValueError:  # a divisor drawn to zero
            return None
        if not _is_grade_school(result, original):
            return None
        results.append(result)
        written.append(format_number(result))
        steps.append(f"{new_expression}={written[-1]}")
    question = _replace(
        problem.question,
        [
            (start, end, _write_like(text, values[value]))
            for value, (start, end, text) in problem.variables.items()
        ],
    )
    return question, steps, written[-1]


def augment_numbers(
    dataset: datasets.Dataset,
    num_variants: int,
    seed: int = 0,
    target: str = "equations",
    forbidden_questions: Iterable[str] = (),
    max_attempts_per_variant: int = 10,
) -> datasets.Dataset:
    """Numeric variants of GSM8K training records (see the module docstring).

    Args:
        dataset (`datasets.Dataset`): Records with `id`, `question` and `equations` (from `load_gsm8k`).
        num_variants (`int`): Variants wanted per problem (fewer when draws keep failing).
        seed (`int`, defaults to 0): With the record's `id`, seeds each problem's draws, so a problem's
            variants do not depend on which other problems are augmented.
        target (`str`, defaults to `"equations"`): `"final"` or `"equations"`, the variants' `target`.
        forbidden_questions (`Iterable[str]`, defaults to `()`): Questions no variant may equal (pass
            the test questions); a variant equal to one is rejected and counted.
        max_attempts_per_variant (`int`, defaults to 10): Draws allowed per wanted variant.

    Returns:
        `datasets.Dataset`: The variants only, with the columns of `dataset`; `source` is
        `"gsm8k-augmented"` and `id` is the original's plus `-aug<k>`.
    """
    forbidden = {question.strip() for question in forbidden_questions}
    counts: Counter[str] = Counter()
    variants = []
    for record in dataset:
        steps, answer = split_target(record["equations"])
        if check_chain(steps, answer) is not None:
            counts["problems_whose_chain_fails"] += 1
            continue
        problem = _prepare(record["question"], steps)
        if isinstance(problem, str):
            counts[f"problems_with_{problem}"] += 1
            continue
        rng = random.Random(f"{seed}:{record['id']}")
        seen = {record["question"]}
        for _ in range(num_variants * max_attempts_per_variant):
            if len(seen) > num_variants:
                break
            drawn = _variant(problem, rng)
            if drawn is None:
                counts["draws_outside_grade_school_values"] += 1
                continue
            question, steps, answer = drawn
            if question in forbidden:
                counts["variants_equal_to_a_forbidden_question"] += 1
                continue
            if question in seen:
                counts["repeated_draws"] += 1
                continue
            seen.add(question)
            variants.append(
                {
                    **record,
                    "id": f"{record['id']}-aug{len(seen) - 1}",
                    "question": question,
                    "equations": target_text("equations", steps, answer),
                    "answer": answer,
                    "target": target_text(target, steps, answer),
                    "source": AUGMENTED_SOURCE,
                }
            )
    logger.info(
        f"Augmentation: {len(variants)} variants of {len(dataset)} problems "
        f"({num_variants} wanted each); {dict(counts) or 'no rejections'}."
    )
    return datasets.Dataset.from_list(variants, features=dataset.features)
