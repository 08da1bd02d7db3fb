"""The embedded problem generator: seeded, distinct, GSM8K-formatted and right."""

from __future__ import annotations

import ast
import operator
import re
from collections import Counter
from fractions import Fraction

import pytest

from training.data.equations import check_chain, split_target
from training.data.generator import GeneratorConfig, generate_problems, generated_dataset

CONFIGS = {
    "word_problems_deep": GeneratorConfig(
        task="word_problems", min_ops=3, max_ops=4, num_examples=300, seed=1
    ),
    "word_problems_wide": GeneratorConfig(min_ops=1, max_ops=6, min_value=0, max_value=100, num_examples=300),
    "arithmetic_chain": GeneratorConfig(
        task="arithmetic_chain", min_ops=2, max_ops=3, max_value=9, num_examples=300
    ),
    "modular_chain": GeneratorConfig(
        task="modular_chain", min_ops=1, max_ops=12, max_value=9, num_examples=300
    ),
    "modular_chain_mod_7": GeneratorConfig(
        task="modular_chain", min_ops=2, max_ops=5, min_value=0, max_value=20, modulus=7, num_examples=300
    ),
    "carry_addition": GeneratorConfig(
        task="carry_addition", num_digits=6, min_ops=1, max_ops=6, num_examples=300
    ),
    "multiplication": GeneratorConfig(task="multiplication", num_digits=4, num_examples=300),
    "addition": GeneratorConfig(task="addition", num_digits=1, num_examples=50),
}
OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
CHAIN_FORMAT = re.compile(r"(<<[0-9+\-*/]+=[0-9]+>> )+#### [0-9]+")


def reference_value(expression: str) -> Fraction:
    """The expression's value, computed here rather than with the package's evaluator."""

    def value(node: ast.AST) -> Fraction:
        if isinstance(node, ast.BinOp):
            return OPERATORS[type(node.op)](value(node.left), value(node.right))
        assert isinstance(node, ast.Constant) and isinstance(node.value, int), ast.dump(node)
        return Fraction(node.value)

    return value(ast.parse(expression, mode="eval").body)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_answers_equal_an_independent_evaluation_and_chains_reexecute(name: str) -> None:
    config = CONFIGS[name]
    problems = generate_problems(config, target="final")
    assert len(problems) == config.num_examples
    assert len({p["question"] for p in problems}) == len(problems)
    for problem in problems:
        value = reference_value(problem["expression"])
        if config.task == "modular_chain":
            value %= config.modulus
        assert value == int(problem["answer"]) >= 0
        assert problem["target"] == problem["answer"]
        assert CHAIN_FORMAT.fullmatch(problem["equations"]), problem["equations"]
        steps, answer = split_target(problem["equations"])
        assert check_chain(steps, answer) is None and answer == problem["answer"]
        if config.task in ("word_problems", "arithmetic_chain", "modular_chain"):
            assert config.min_ops <= len(steps) <= config.max_ops
        else:
            operands = re.findall(r"\d+", problem["question"])
            assert [len(n) for n in operands] == [config.num_digits] * 2


def test_same_config_gives_the_same_problems_and_a_new_seed_new_ones() -> None:
    config = GeneratorConfig(min_ops=2, max_ops=3, num_examples=100, seed=5)
    assert generate_problems(config) == generate_problems(config)
    other = generate_problems(GeneratorConfig(min_ops=2, max_ops=3, num_examples=100, seed=6))
    assert [p["question"] for p in other] != [p["question"] for p in generate_problems(config)]


def test_word_problems_use_several_phrasings() -> None:
    questions = [p["question"] for p in generate_problems(GeneratorConfig(num_examples=400))]
    openings = {re.sub(r"\d+", "#", q.split(".")[0].split(" ", 1)[1]) for q in questions}
    assert len(openings) >= 6
    assert any("$" in q for q in questions) and any("apples" in q for q in questions)


def test_excluded_questions_are_never_generated() -> None:
    config = GeneratorConfig(task="addition", num_digits=1, num_examples=40)
    train = {p["question"] for p in generate_problems(config)}
    held_out = generated_dataset(
        GeneratorConfig(task="addition", num_digits=1, num_examples=41, seed=1), exclude=train
    )
    assert len(held_out) == 41 and not train & set(held_out["question"])


def test_asking_for_more_problems_than_exist_is_an_error() -> None:
    with pytest.raises(ValueError, match="Only 81 distinct problems"):
        generate_problems(GeneratorConfig(task="addition", num_digits=1, num_examples=82))


def test_modular_chains_multiply_by_units_only_and_give_every_residue() -> None:
    config = GeneratorConfig(task="modular_chain", min_ops=3, max_ops=6, max_value=9, num_examples=2000)
    problems = generate_problems(config, target="final")
    factors = {int(f) for p in problems for f in re.findall(r"\*(\d+)", p["question"])}
    assert factors == {1, 3, 7, 9}
    assert all(p["question"].endswith(" = ? (mod 10)") for p in problems)
    counts = Counter(p["answer"] for p in problems)
    assert sorted(counts) == [str(r) for r in range(10)] and min(counts.values()) > 2000 / 10 / 2


def reference_carry_chain(a: int, b: int) -> int:
    """The longest run of digit places that carry: place i carries when the sum of the two numbers' last
    i + 1 digits overflows them (no digit-by-digit loop, unlike the package)."""
    places = len(str(a + b))
    carries = [(a % 10 ** (i + 1) + b % 10 ** (i + 1)) >= 10 ** (i + 1) for i in range(places)]
    return max((len(run) for run in "".join("c" if c else " " for c in carries).split()), default=0)


def test_carry_additions_have_the_asked_carry_chain_and_every_length() -> None:
    config = GeneratorConfig(task="carry_addition", num_digits=8, min_ops=2, max_ops=8, num_examples=700)
    problems = generate_problems(config, target="final")
    for problem in problems:
        a, b = map(int, re.fullmatch(r"What is (\d{8}) \+ (\d{8})\?", problem["question"]).groups())
        assert problem["num_steps"] == reference_carry_chain(a, b)
    lengths = Counter(p["num_steps"] for p in problems)
    assert sorted(lengths) == list(range(2, 9)) and min(lengths.values()) > 700 / 7 / 2
    assert reference_carry_chain(99999999, 1) == 8 and reference_carry_chain(12, 34) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"task": "carry_addition", "num_digits": 3, "max_ops": 4},
        {"task": "modular_chain", "min_value": 2, "max_value": 2, "modulus": 4},
        {"modulus": 1},
        {"task": "division"},
        {"min_ops": 0},
        {"min_ops": 3, "max_ops": 2},
        {"min_value": 5, "max_value": 4},
    ],
)
def test_config_rejects_bad_values(fields: dict) -> None:
    with pytest.raises(ValueError):
        GeneratorConfig(**fields)
