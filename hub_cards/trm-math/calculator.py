"""Calculator-annotation chains (`"<<48/2=24>> <<48+24=72>> #### 72"`): parse, evaluate exactly, execute.

Expressions are evaluated exactly, with `fractions.Fraction`, by a small walker over Python's `ast`
that accepts only numbers, `+ - * / //`, unary signs and parentheses (never `eval`). `execute_chain` is
the calculator decoding of a model's emitted chain. This file imports only the standard library: it
ships with the `trm-math` pipeline to the Hub.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Sequence
from fractions import Fraction

ANNOTATION = re.compile(r"<<([^<>]*)>>")
NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
# Python rejects "05" as a literal; annotations occasionally write numbers that way.
_LEADING_ZEROS = re.compile(r"(?<![\d.])0+(?=\d)")
ANSWER_SEPARATOR = "####"
_BINARY: dict[type, Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: lambda a, b: Fraction(a // b),
}
_UNARY: dict[type, Callable[[Fraction], Fraction]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def _evaluate_node(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Fraction(repr(node.value))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_evaluate_node(node.left), _evaluate_node(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate_node(node.operand))
    raise ValueError(f"unsupported syntax {type(node).__name__}")


def evaluate(expression: str) -> Fraction:
    """Evaluate an arithmetic expression exactly.

    Args:
        expression (`str`): Numbers, `+ - * / //`, unary signs and parentheses, e.g. `"(3+4)*.5"`.

    Returns:
        `Fraction`: Its exact value.

    Raises:
        `ValueError`: On any other syntax or a division by zero, naming the expression.
    """
    try:
        tree = ast.parse(_LEADING_ZEROS.sub("", expression.strip()), mode="eval")
        return _evaluate_node(tree.body)
    except (SyntaxError, ValueError, ZeroDivisionError) as error:
        raise ValueError(f"cannot evaluate {expression!r}: {error}") from error


def parse_number(text: str) -> Fraction:
    """A number as written in GSM8K (`"1,000"`, `"0.5"`, `".25"`, `"-3"`), exactly.

    Raises:
        `ValueError`: When `text` is not a plain decimal number.
    """
    return Fraction(text.strip().replace(",", ""))


def decimal_places(value: Fraction) -> int | None:
    """Digits after the decimal point needed to write `value` exactly; `None` if it never terminates."""
    denominator, places = value.denominator, 0
    while denominator % 10 == 0:
        denominator, places = denominator // 10, places + 1
    twos = fives = 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    return places + max(twos, fives) if denominator == 1 else None


def format_number(value: Fraction) -> str:
    """Write `value` as GSM8K does: `"72"`, `"0.25"`, `"-3"` (no thousands separators).

    Raises:
        `ValueError`: When `value` has no finite decimal expansion (e.g. 1/3).
    """
    places = decimal_places(value)
    if places is None:
        raise ValueError(f"{value} has no finite decimal expansion")
    if places == 0:
        return str(value.numerator)
    sign, magnitude = ("-" if value < 0 else ""), abs(value)
    scaled = magnitude.numerator * 10**places // magnitude.denominator
    whole, fraction = divmod(scaled, 10**places)
    return f"{sign}{whole}.{fraction:0{places}d}"


def split_step(step: str) -> tuple[str, str]:
    """Split one annotation body `"48/2=24"` into expression and result.

    Raises:
        `ValueError`: When the step does not hold exactly one `=`.
    """
    if step.count("=") != 1:
        raise ValueError(f"step {step!r} must hold exactly one '='")
    expression, result = step.split("=")
    return expression, result


def extract_steps(solution: str) -> list[str]:
    """The bodies of all `<<...>>` annotations in a solution or target text, in order."""
    return ANNOTATION.findall(solution)


def chain_text(steps: Sequence[str], answer: str) -> str:
    """The equations target: `"<<48/2=24>> <<48+24=72>> #### 72"` (or `"#### 5"` without steps)."""
    return " ".join([*(f"<<{step}>>" for step in steps), ANSWER_SEPARATOR, answer])


def _calculator_number(value: Fraction) -> str:
    """`format_number`, or for a value without a finite decimal expansion, six decimals (a calculator's)."""
    try:
        return format_number(value)
    except ValueError:
        return format_number(Fraction(round(value * 10**6), 10**6))


def _exact_operand(value: Fraction) -> str:
    """`value` written so that `evaluate` reads it back exactly (`"(10/3)"` when it has no finite decimal)."""
    return (
        format_number(value)
        if decimal_places(value) is not None
        else f"({value.numerator}/{value.denominator})"
    )


def execute_chain(text: str) -> str:
    """Calculator decoding of an emitted equations answer: re-execute its steps with exact arithmetic.

    Each step's expression is evaluated and its result rewritten; a number in a later step that repeats a
    result the model wrote wrongly is replaced by the computed value (the model referred to that step).
    The answer after `####` becomes the last step's value. Steps after one that cannot be evaluated are
    dropped, and a text without any step that evaluates is returned unchanged.

    Args:
        text (`str`): A decoded answer such as `"<<48/2=25>> <<48+25=73>> #### 73"`.

    Returns:
        `str`: The executed chain, here `"<<48/2=24>> <<48+24=72>> #### 72"`.
    """
    corrected: dict[Fraction, str] = {}  # a wrongly written result -> the computed value, exactly
    steps: list[str] = []

    def substitute(match: re.Match) -> str:
        number = match.group()
        return corrected.get(parse_number(number), number)

    for step in extract_steps(text):
        try:
            expression, written = split_step(step)
            expression = NUMBER.sub(substitute, expression)
            value, written_value = evaluate(expression), parse_number(written)
        except ValueError:
            break
        if written_value != value:
            corrected[written_value] = _exact_operand(value)
        steps.append(f"{expression}={_calculator_number(value)}")
    if not steps:
        return text
    return chain_text(steps, split_step(steps[-1])[1])
