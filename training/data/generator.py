"""The embedded task: seeded multi-step arithmetic word problems and plain arithmetic, no download.

Records have the GSM8K record columns (`id`, `question`, `equations` in GSM8K's format
`"<<12*3=36>> <<36+5=41>> #### 41"`, `answer`, `target`, `source`) plus `expression`, the same
computation as one arithmetic expression (`"((12 * 3) + 5)"`; for `modular_chain` unreduced, its value
modulo `modulus` is the answer) for independent checking.

    GeneratorConfig(task="word_problems", min_ops=3, max_ops=4)        # where depth matters
    GeneratorConfig(task="arithmetic_chain", min_ops=3, max_ops=4)     # the same, without the words
    GeneratorConfig(task="modular_chain", min_ops=1, max_ops=12)       # chains mod 10: only depth is hard
    GeneratorConfig(task="carry_addition", num_digits=8, min_ops=1, max_ops=8)  # depth = carry chain
    GeneratorConfig(task="multiplication", num_digits=4)              # 4x4-digit products
    GeneratorConfig(task="addition", num_digits=1, num_examples=64)   # trivially learnable (CI)
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

import datasets

from .equations import target_text

TASKS = ("word_problems", "arithmetic_chain", "modular_chain", "carry_addition", "multiplication", "addition")
_APPLY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.floordiv,
}  # "/" divides exactly
MAX_FACTOR = 10  # multipliers and divisors of word problems stay within 2..10 (and max_value)

NAMES = ("Ava", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hiro", "Isla", "Jamal", "Kira", "Leo")
ITEMS = ("apples", "marbles", "stickers", "pencils", "cookies", "books", "coins", "shells", "cards", "eggs")
CONTAINERS = ("bags", "boxes", "jars", "packs", "baskets")


@dataclass(frozen=True)
class _Story:
    """Phrasings of one kind of problem, which keeps one running quantity.

    `steps` maps an operation to its phrasings ({name}, {item}, {container}, {b}, {c}); "+*" and "-*"
    add or remove b groups of c, two operations (`<<b*c=p>> <<v+p=r>>`).
    """

    start: tuple[str, ...]
    steps: dict[str, tuple[str, ...]]
    question: tuple[str, ...]
    joiner: str = " "


ITEM_STORY = _Story(
    start=(
        "{name} has {a} {item}.",
        "There are {a} {item} in {name}'s room.",
        "{name} starts the day with {a} {item}.",
        "{name} collected {a} {item}.",
    ),
    steps={
        "+": (
            "{name} buys {b} more {item}.",
            "Then {name} finds {b} more {item}.",
            "A friend gives {name} {b} {item}.",
            "{name} gets {b} {item} as a present.",
        ),
        "-": (
            "{name} gives away {b} {item}.",
            "Then {name} loses {b} {item}.",
            "{name} uses {b} of the {item}.",
            "{name} sells {b} {item}.",
        ),
        "*": (
            "{name} now has {b} times as many {item}.",
            "Then the number of {item} becomes {b} times as large.",
        ),
        "/": (
            "{name} shares the {item} equally among {b} friends and keeps one share.",
            "Then {name} splits the {item} into {b} equal groups and keeps one group.",
        ),
        "+*": (
            "{name} buys {b} {container} with {c} {item} in each.",
            "{name} receives {b} {container} of {c} {item}.",
        ),
        "-*": (
            "{name} gives {b} friends {c} {item} each.",
            "{name} fills {b} {container} with {c} {item} each and sells them.",
        ),
    },
    question=(
        "How many {item} does {name} have now?",
        "How many {item} does {name} have at the end?",
        "What is the number of {item} {name} has in the end?",
    ),
)
MONEY_STORY = _Story(
    start=("{name} has ${a}.", "{name} saved ${a}.", "There is ${a} in {name}'s wallet."),
    steps={
        "+": ("{name} earns ${b} more.", "Then {name} is given ${b}.", "{name} finds ${b} on the street."),
        "-": ("{name} spends ${b} on lunch.", "Then {name} pays ${b} for a ticket.", "{name} loses ${b}."),
        "*": (
            "{name}'s money grows to {b} times as much.",
            "Then {name}'s savings become {b} times as large.",
        ),
        "/": ("{name} splits the money equally among {b} jars and keeps one jar.",),
        "+*": ("{name} works {b} hours at ${c} per hour.", "{name} sells {b} drawings for ${c} each."),
        "-*": ("{name} buys {b} {item} at ${c} each.", "{name} pays for {b} tickets costing ${c} each."),
    },
    question=("How many dollars does {name} have now?", "How much money does {name} have in the end?"),
)
# The same chains as bare symbols applied left to right ("7 +5 *2 -3 = ?" is ((7 + 5) * 2) - 3):
# short questions, so that the arithmetic, not the reading, is the task.
SYMBOL_STORY = _Story(
    start=("{a}",),
    steps={"+": (" +{b}",), "-": (" -{b}",), "*": (" *{b}",), "/": (" /{b}",)},
    question=(" = ?",),
    joiner="",
)


class _Problem(NamedTuple):
    """One generated problem before it becomes a record; `depth` is its `num_steps` when that is not the
    number of equations (the longest carry chain of `carry_addition`)."""

    question: str
    steps: list[str]
    value: int
    expression: str
    depth: int | None = None


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate.

    Args:
        task (`str`, defaults to `"word_problems"`): `"word_problems"`, `"arithmetic_chain"` (the same
            chains written as symbols, `"7 +5 *2 -3 = ?"`), `"modular_chain"` (`+ - *` chains whose
            every value is reduced modulo `modulus`, `"7 +5 *3 -3 = ? (mod 10)"`: each step is a lookup
            in a small table, so the depth of the chain is the only difficulty), `"carry_addition"`
            (`num_digits`-digit sums whose longest carry chain has a length drawn uniformly from
            `min_ops..max_ops`: the carry passes that many digits one after the other, the depth a
            digit-by-digit addition needs), `"multiplication"` or `"addition"`.
        min_ops (`int`, defaults to 1): Fewest operations of a word problem or chain; for
            `carry_addition` the shortest longest carry chain.
        max_ops (`int`, defaults to 2): Most operations of a word problem or chain; for
            `carry_addition` the longest carry chain (at most `num_digits`).
        min_value (`int`, defaults to 1): Smallest start value and added / subtracted amount.
        max_value (`int`, defaults to 20): Largest start value and added / subtracted amount; factors
            stay within 2..min(10, max_value) and a product within `max_value**2`.
        num_digits (`int`, defaults to 2): Digits of both operands of `multiplication` / `addition`.
        modulus (`int`, defaults to 10): The modulus of `modular_chain`.
        num_examples (`int`, defaults to 1000): Problems to generate, all with distinct questions.
        seed (`int`, defaults to 0): Random seed; the same config gives the same problems.

    Example:
        >>> problems = generate_problems(GeneratorConfig(task="word_problems", min_ops=3, max_ops=4, seed=1))
        >>> problems[0]["equations"]  # e.g. "<<14+9=23>> <<23*3=69>> <<69-12=57>> #### 57"
    """

    task: str = "word_problems"
    min_ops: int = 1
    max_ops: int = 2
    min_value: int = 1
    max_value: int = 20
    num_digits: int = 2
    modulus: int = 10
    num_examples: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"`task` must be one of {TASKS}, got {self.task!r}.")
        if not 1 <= self.min_ops <= self.max_ops:
            raise ValueError(f"Need 1 <= `min_ops` <= `max_ops`, got {self.min_ops} and {self.max_ops}.")
        if not 0 <= self.min_value <= self.max_value or self.max_value < 2:
            raise ValueError(
                f"Need 0 <= `min_value` <= `max_value` and `max_value` >= 2, got {self.min_value} "
                f"and {self.max_value}."
            )
        if self.modulus < 2:
            raise ValueError(f"Need `modulus` >= 2, got {self.modulus}.")
        if self.task == "modular_chain" and not any(
            math.gcd(b, self.modulus) == 1 for b in range(self.min_value, self.max_value + 1)
        ):
            raise ValueError(
                f"`modular_chain` needs an operand prime to `modulus`={self.modulus} within "
                f"{self.min_value}..{self.max_value}."
            )
        if self.task == "carry_addition" and self.max_ops > self.num_digits:
            raise ValueError(
                f"A carry chain of `carry_addition` spans at most `num_digits`={self.num_digits} digits, "
                f"got `max_ops`={self.max_ops}."
            )
        if self.num_digits < 1 or self.num_examples < 0:
            raise ValueError(
                f"Need `num_digits` >= 1 and `num_examples` >= 0, got {self.num_digits} and "
                f"{self.num_examples}."
            )


def _step(
    rng: random.Random, op: str, value: int, remaining: int, config: GeneratorConfig
) -> tuple[int, int] | None:
    """Operands `(b, c)` (`c` only for two-operation steps) keeping every value a positive integer
    in range (when `min_value` >= 1), or `None` when `op` cannot follow `value`."""
    low, high = config.min_value, config.max_value
    factor_high = min(MAX_FACTOR, high)
    if op == "+":
        return rng.randint(low, high), 0
    if op == "-":  # keeps the quantity positive, so that later steps still matter
        return (rng.randint(low, value - 1), 0) if value - 1 >= low else None
    if op == "*":
        factors = [b for b in range(2, factor_high + 1) if value * b <= high**2]
        return (rng.choice(factors), 0) if factors else None
    if op == "/":
        divisors = [b for b in range(2, factor_high + 1) if value % b == 0 and value > 0]
        return (rng.choice(divisors), 0) if divisors else None
    if remaining < 2:
        return None
    b, c = rng.randint(2, factor_high), rng.randint(max(1, low), high)
    return (b, c) if op == "+*" or b * c < value else None


def _chain_problem(rng: random.Random, config: GeneratorConfig) -> _Problem:
    """A word problem, or for `arithmetic_chain` the same kind of chain written with symbols."""
    story = SYMBOL_STORY if config.task == "arithmetic_chain" else rng.choice((ITEM_STORY, MONEY_STORY))
    words = {"name": rng.choice(NAMES), "item": rng.choice(ITEMS), "container": rng.choice(CONTAINERS)}
    value = rng.randint(config.min_value, config.max_value)
    sentences = [rng.choice(story.start).format(a=value, **words)]
    expression, steps = str(value), []
    remaining = rng.randint(config.min_ops, config.max_ops)
    while remaining > 0:
        ops = list(story.steps)
        rng.shuffle(ops)
        # "+" always fits, so some operation is found.
        op, (b, c) = next((op, drawn) for op in ops if (drawn := _step(rng, op, value, remaining, config)))
        sentences.append(rng.choice(story.steps[op]).format(b=b, c=c, **words))
        if op in ("+*", "-*"):
            steps.append(f"{b}*{c}={b * c}")
            operand, b, op = f"({b} * {c})", b * c, op[0]
            remaining -= 1
        else:
            operand = str(b)
        result = _APPLY[op](value, b)
        steps.append(f"{value}{op}{b}={result}")
        expression = f"({expression} {op} {operand})"
        value, remaining = result, remaining - 1
    sentences.append(rng.choice(story.question).format(**words))
    return _Problem(story.joiner.join(sentences), steps, value, expression)


def _modular_chain(rng: random.Random, config: GeneratorConfig) -> _Problem:
    """`"7 +5 *3 -3 = ? (mod 10)"`: operands drawn from `min_value..max_value`, every value reduced modulo
    `config.modulus`. Factors are prime to the modulus, so no step loses what came before it (every
    step is invertible and the answers are uniform). Each equation applies one operation and its
    reduction (`"7*9-60=3"`)."""
    modulus = config.modulus
    operands = range(config.min_value, config.max_value + 1)
    units = [b for b in operands if math.gcd(b, modulus) == 1]
    value = rng.choice(operands) % modulus
    question, expression, steps = str(value), str(value), []
    for _ in range(rng.randint(config.min_ops, config.max_ops)):
        op = rng.choice("+-*")
        b = rng.choice(units if op == "*" else operands)
        unreduced = _APPLY[op](value, b)
        result = unreduced % modulus
        reduction = f"{result - unreduced:+d}" if result != unreduced else ""
        steps.append(f"{value}{op}{b}{reduction}={result}")
        question, expression, value = f"{question} {op}{b}", f"({expression} {op} {b})", result
    return _Problem(f"{question} = ? (mod {modulus})", steps, value, expression)


def _arithmetic(rng: random.Random, config: GeneratorConfig) -> _Problem:
    op = "*" if config.task == "multiplication" else "+"
    a, b = (rng.randint(10 ** (config.num_digits - 1), 10**config.num_digits - 1) for _ in range(2))
    result = a * b if op == "*" else a + b
    return _Problem(f"What is {a} {op} {b}?", [f"{a}{op}{b}={result}"], result, f"{a} {op} {b}")


def longest_carry_chain(a: int, b: int) -> int:
    """The most consecutive digits of `a + b` (non-negative) that each pass a carry to the next."""
    longest = run = carry = 0
    while a or b:
        carry = int(a % 10 + b % 10 + carry >= 10)
        run = run + 1 if carry else 0
        longest = max(longest, run)
        a, b = a // 10, b // 10
    return longest


def _digit_pair(rng: random.Random, role: str) -> tuple[int, int]:
    """Two digits whose sum starts a carry (`generate`: >= 10), passes one on (`propagate`: 9), stops one
    even with a carry in (`stop`: <= 8), or anything (`free`)."""
    if role == "generate":
        a = rng.randint(1, 9)
        return a, rng.randint(10 - a, 9)
    if role == "propagate":
        a = rng.randint(0, 9)
        return a, 9 - a
    if role == "stop":
        a = rng.randint(0, 8)
        return a, rng.randint(0, 8 - a)
    return rng.randint(0, 9), rng.randint(0, 9)


def _carry_addition(rng: random.Random, config: GeneratorConfig) -> _Problem:
    """`"What is 48391 + 17564?"` with both operands of `num_digits` digits and a longest carry chain of
    k (drawn from `min_ops..max_ops`) digits: one digit starts the carry, k - 1 pass it on, and the
    digits on either side of the chain stop it; the other digits are free, redrawn when they make a
    longer chain."""
    digits = config.num_digits
    length = rng.randint(config.min_ops, config.max_ops)
    while True:
        start = rng.randint(0, digits - length)
        roles = ["free"] * digits  # units first
        roles[start] = "generate"
        roles[start + 1 : start + length] = ["propagate"] * (length - 1)
        for edge in (start - 1, start + length):
            if 0 <= edge < digits:
                roles[edge] = "stop"
        pairs = [_digit_pair(rng, role) for role in roles]
        a, b = (sum(pair[side] * 10**place for place, pair in enumerate(pairs)) for side in (0, 1))
        if min(a, b) >= 10 ** (digits - 1) and longest_carry_chain(a, b) == length:
            return _Problem(f"What is {a} + {b}?", [f"{a}+{b}={a + b}"], a + b, f"{a} + {b}", depth=length)


def generate_problems(
    config: GeneratorConfig, target: str = "equations", exclude: Collection[str] = ()
) -> list[dict]:
    """`config.num_examples` problems with distinct questions, deterministic for `config` and `exclude`.

    Args:
        config (`GeneratorConfig`): What to generate.
        target (`str`, defaults to `"equations"`): `"final"` or `"equations"`, the text put in `target`.
        exclude (`Collection[str]`, defaults to `()`): Questions not to generate (a training set's, for
            a held-out set); the draws go on until `num_examples` others are found.

    Returns:
        `list[dict]`: Records with `id`, `question`, `equations`, `answer`, `target`, `source`
        (`"generator/<task>"`), `expression` and `num_steps` (the chain's equations; for
        `carry_addition` the longest carry chain).

    Raises:
        `ValueError`: When the config cannot give that many distinct questions.
    """
    rng = random.Random(config.seed)
    make = {
        "word_problems": _chain_problem,
        "arithmetic_chain": _chain_problem,
        "modular_chain": _modular_chain,
        "carry_addition": _carry_addition,
    }.get(config.task, _arithmetic)
    problems, seen = [], set(exclude)
    for _ in range(100 * config.num_examples + 100):
        if len(problems) == config.num_examples:
            break
        question, steps, value, expression, depth = make(rng, config)
        if question in seen:
            continue
        seen.add(question)
        answer = str(value)
        problems.append(
            {
                "id": f"{config.task}-{config.seed}-{len(problems)}",
                "question": question,
                "equations": target_text("equations", steps, answer),
                "answer": answer,
                "target": target_text(target, steps, answer),
                "source": f"generator/{config.task}",
                "expression": expression,
                "num_steps": len(steps) if depth is None else depth,
            }
        )
    if len(problems) < config.num_examples:
        raise ValueError(
            f"Only {len(problems)} distinct problems (besides {len(exclude)} excluded) were found for "
            f"{config}; ask for fewer."
        )
    return problems


def generated_dataset(
    config: GeneratorConfig, target: str = "equations", exclude: Collection[str] = ()
) -> datasets.Dataset:
    """`generate_problems(config, target, exclude)` as a `datasets.Dataset`."""
    return datasets.Dataset.from_list(generate_problems(config, target, exclude))
