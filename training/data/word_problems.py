"""The embedded task: a seeded generator of multi-step arithmetic word problems and plain arithmetic.

No download needed. Every record has the GSM8K-style fields the rest of the pipeline uses:
`question`, `equations` (`"<<12+5=17>> <<17*3=51>> #### 51"`), `answer` (`"51"`), `expression`
(the same computation as one Python expression, for independent checking) and `source`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TASKS = ("word_problems", "arithmetic_chain", "multiplication", "addition")

NAMES = ("Ava", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hiro", "Isla", "Jamal", "Kira", "Leo")
ITEMS = ("apples", "marbles", "stickers", "pencils", "cookies", "books", "coins", "shells", "cards", "eggs")
STARTS = (
    "{name} has {a} {item}.",
    "There are {a} {item} in {name}'s box.",
    "{name} starts the day with {a} {item}.",
)
STEPS = {
    "+": (
        "{name} buys {b} more {item}.",
        "Then {name} finds {b} more {item}.",
        "A friend gives {name} {b} {item}.",
    ),
    "-": ("{name} gives away {b} {item}.", "Then {name} loses {b} {item}.", "{name} uses {b} of the {item}."),
    "*": ("{name} now has {b} times as many {item}.", "Then the number of {item} is multiplied by {b}."),
    "/": (
        "{name} shares the {item} equally among {b} bags and keeps one bag.",
        "Then {name} splits the {item} into {b} equal groups and keeps one group.",
    ),
}
QUESTIONS = ("How many {item} does {name} have now?", "How many {item} are there at the end?")
# The same chains as bare symbols, applied left to right ("7 +5 *2 -3 = ?" is ((7 + 5) * 2) - 3):
# short questions, so the arithmetic, not the reading, is the task.
CHAIN_STARTS = ("{a}",)
CHAIN_STEPS = {"+": (" +{b}",), "-": (" -{b}",), "*": (" *{b}",), "/": (" /{b}",)}
CHAIN_QUESTIONS = (" = ?",)


@dataclass
class GeneratorConfig:
    """What to generate.

    Args:
        task (`str`, defaults to `"word_problems"`): `"word_problems"`, `"arithmetic_chain"` (the same
            chains as symbols applied left to right), `"multiplication"` or `"addition"`.
        min_ops (`int`, defaults to 1): Fewest operations of a word problem.
        max_ops (`int`, defaults to 2): Most operations of a word problem.
        min_value (`int`, defaults to 1): Smallest operand of a word problem.
        max_value (`int`, defaults to 20): Largest operand of a word problem (and of every intermediate
            result, times `max_value` for products).
        num_digits (`int`, defaults to 2): Digits of each operand for `multiplication` / `addition`.
        num_examples (`int`, defaults to 1000): Problems to generate.
        seed (`int`, defaults to 0): Random seed; the same seed gives the same problems.
    """

    task: str = "word_problems"
    min_ops: int = 1
    max_ops: int = 2
    min_value: int = 1
    max_value: int = 20
    num_digits: int = 2
    num_examples: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"`task` must be one of {TASKS}, got {self.task!r}.")
        if not 1 <= self.min_ops <= self.max_ops:
            raise ValueError(f"Need 1 <= `min_ops` <= `max_ops`, got {self.min_ops} and {self.max_ops}.")
        if not 1 <= self.min_value <= self.max_value:
            raise ValueError(
                f"Need 1 <= `min_value` <= `max_value`, got {self.min_value} and {self.max_value}."
            )
        if self.num_digits < 1 or self.num_examples < 0:
            raise ValueError(
                f"`num_digits` must be >= 1 and `num_examples` >= 0, got {self.num_digits}, "
                f"{self.num_examples}."
            )


def _operand(rng: random.Random, op: str, value: int, config: GeneratorConfig) -> int | None:
    """An operand for `value op b` that keeps every result a grade-school value, or None."""
    low, high = config.min_value, config.max_value
    if op == "+":
        return rng.randint(low, high)
    if op == "-":
        return rng.randint(low, value) if value >= low else None
    if op == "*":
        return rng.randint(2, max(2, high // 4)) if value <= high else None
    divisors = [b for b in range(2, min(value, high) + 1) if value % b == 0]
    return rng.choice(divisors) if divisors else None


def _word_problem(rng: random.Random, config: GeneratorConfig) -> dict[str, str]:
    story = config.task == "word_problems"
    starts, steps, questions = (STARTS, STEPS, QUESTIONS) if story else (CHAIN_STARTS, CHAIN_STEPS, CHAIN_QUESTIONS)
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    value = rng.randint(config.min_value, config.max_value)
    sentences = [rng.choice(starts).format(name=name, a=value, item=item)]
    expression, equations = str(value), []
    for _ in range(rng.randint(config.min_ops, config.max_ops)):
        ops = list(steps)
        rng.shuffle(ops)
        for op in ops:
            operand = _operand(rng, op, value, config)
            if operand is not None:
                break
        result = {"+": value + operand, "-": value - operand, "*": value * operand, "/": value // operand}[op]
        sentences.append(rng.choice(steps[op]).format(name=name, b=operand, item=item))
        equations.append(f"<<{value}{op}{operand}={result}>>")
        expression = f"({expression} {'//' if op == '/' else op} {operand})"
        value = result
    sentences.append(rng.choice(questions).format(name=name, item=item))
    return {
        "question": (" " if story else "").join(sentences),
        "chain": " ".join(equations),
        "answer": str(value),
        "expression": expression,
    }


def _arithmetic(rng: random.Random, config: GeneratorConfig) -> dict[str, str]:
    op = "*" if config.task == "multiplication" else "+"
    a, b = (rng.randint(10 ** (config.num_digits - 1), 10**config.num_digits - 1) for _ in range(2))
    result = a * b if op == "*" else a + b
    return {
        "question": f"What is {a} {op} {b}?",
        "chain": f"<<{a}{op}{b}={result}>>",
        "answer": str(result),
        "expression": f"{a} {op} {b}",
    }


def generate_problems(config: GeneratorConfig) -> list[dict[str, str]]:
    """`config.num_examples` distinct problems, deterministic for `config.seed`.

    Returns:
        `list[dict]` with `question`, `equations`, `answer`, `expression` and `source` strings.
    """
    rng = random.Random(config.seed)
    make = _word_problem if config.task in ("word_problems", "arithmetic_chain") else _arithmetic
    problems, seen = [], set()
    for _ in range(100 * config.num_examples + 100):
        if len(problems) == config.num_examples:
            break
        problem = make(rng, config)
        if problem["question"] in seen:
            continue
        seen.add(problem["question"])
        problems.append(
            {
                "question": problem["question"],
                "equations": f"{problem['chain']} #### {problem['answer']}",
                "answer": problem["answer"],
                "expression": problem["expression"],
                "source": f"generator/{config.task}",
            }
        )
    if len(problems) < config.num_examples:
        raise ValueError(f"Only {len(problems)} distinct problems exist for {config}; ask for fewer.")
    return problems
