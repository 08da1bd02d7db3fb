"""SVAMP (evaluation only): 1,000 one- or two-step problems, a transfer check for GSM8K models.

A record has `id` (SVAMP's `ID`), `question` (`Body + " " + Question`), `equations` (SVAMP's
`Equation` rewritten as a GSM8K chain, innermost operation first: `"( ( 3.0 + 4.0 ) * 2.0 )"` gives
`"<<3+4=7>> <<7*2=14>> #### 14"`), `answer`, `target` and `source` (`"svamp"`). Where the equation
cannot be written so (11/3 has no finite decimal) or does not give SVAMP's `Answer` (one item:
`chal-680`), `equations` is `"#### <answer>"` and the items are counted in the log.
"""

from __future__ import annotations

import ast
import json
from fractions import Fraction
from pathlib import Path

import datasets
from transformers.utils import logging

from modeling_trm.calculator import evaluate, format_number

from .equations import target_text

DEFAULT_SVAMP_PATH = "../shared/data/svamp"
SVAMP_FILE = "SVAMP.json"
FIELDS = ("ID", "Body", "Question", "Equation", "Answer")
logger = logging.get_logger(__name__)

_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def equation_steps(equation: str) -> list[str]:
    """SVAMP's infix `Equation` as GSM8K steps, one per operation, innermost first.

    Args:
        equation (`str`): E.g. `"( ( 3.0 + 4.0 ) * 2.0 )"`.

    Returns:
        `list[str]`: E.g. `["3+4=7", "7*2=14"]`.

    Raises:
        `ValueError`: On anything but numbers, `+ - * /` and parentheses, or a non-terminating result.
    """
    steps: list[str] = []

    def written(node: ast.AST) -> str:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return format_number(Fraction(repr(node.value)))
        if isinstance(node, ast.BinOp) and type(node.op) in _SYMBOLS:
            expression = f"{written(node.left)}{_SYMBOLS[type(node.op)]}{written(node.right)}"
            steps.append(f"{expression}={format_number(evaluate(expression))}")
            return steps[-1].split("=")[1]
        raise ValueError(f"unsupported syntax {type(node).__name__} in {equation!r}")

    try:
        written(ast.parse(equation.strip(), mode="eval").body)
    except SyntaxError as error:
        raise ValueError(f"cannot parse {equation!r}") from error
    return steps


def load_svamp(path: str | Path = DEFAULT_SVAMP_PATH, target: str = "equations") -> datasets.Dataset:
    """SVAMP as records (evaluation only; it has no training split).

    Args:
        path (`str | Path`, defaults to `"../shared/data/svamp"`): The folder holding `SVAMP.json`.
        target (`str`, defaults to `"equations"`): `"final"` or `"equations"`, the text put in `target`.

    Returns:
        `datasets.Dataset` with columns `id`, `question`, `equations`, `answer`, `target`, `source`.

    Raises:
        `ValueError`: Naming the file and item of a malformed entry.
    """
    file = Path(path) / SVAMP_FILE
    try:
        items = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{file}:{error.lineno}: malformed JSON ({error.msg})") from error
    if not isinstance(items, list):
        raise ValueError(f"{file}: expected a JSON array, got {type(items).__name__}")
    if not items:
        raise ValueError(f"{file}: no items")
    records, without_chain = [], []
    for number, item in enumerate(items):
        where = f"{file}: item {number}"
        if not isinstance(item, dict) or any(field not in item for field in FIELDS):
            raise ValueError(f"{where}: expected an object with the fields {FIELDS}")
        try:
            answer = format_number(Fraction(repr(float(item["Answer"]))))
        except ValueError as error:
            raise ValueError(f"{where}: answer {item['Answer']!r} is not a finite decimal number") from error
        try:
            steps = equation_steps(str(item["Equation"]))
        except ValueError:
            steps = None
        if steps is None or evaluate(str(item["Equation"])) != Fraction(answer):
            without_chain.append(str(item["ID"]))
            steps = []
        records.append(
            {
                "id": str(item["ID"]),
                "question": f"{item['Body'].strip()} {item['Question'].strip()}",
                "equations": target_text("equations", steps, answer),
                "answer": answer,
                "target": target_text(target, steps, answer),
                "source": "svamp",
            }
        )
    if without_chain:
        logger.warning(
            f"{file}: {len(without_chain)} equations cannot be written as a chain that gives the answer "
            f"({', '.join(without_chain)}); their `equations` hold the answer only."
        )
    return datasets.Dataset.from_list(records)
