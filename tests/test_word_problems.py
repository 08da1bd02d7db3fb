"""The word-problem curriculum: right, GSM8K-formatted, within bounds, and with clean held-out splits."""

from __future__ import annotations

import ast
import operator
import re
import string
from collections import defaultdict
from collections.abc import Iterator
from fractions import Fraction

import pytest

from training.data.equations import check_chain, split_target
from training.data.word_problems import (
    KINDS,
    MAX_STEPS,
    TEMPLATES,
    WordProblemConfig,
    generate_word_problems,
    word_problem_dataset,
)

SPLIT_CONFIGS = {
    split: WordProblemConfig(split=split, min_steps=1, max_steps=MAX_STEPS, num_examples=250, seed=7)
    for split in ("train", "test_phrasings", "test_kinds")
}
OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
CHAIN_FORMAT = re.compile(r"(<<[0-9+\-*/]+=[0-9]+>> )+#### [0-9]+")
# Numbers a question may give in words rather than digits ("half", "25%", "2 hours" in minutes).
IMPLIED = {
    2: ("half", "twice", "two"),
    3: ("third", "three"),
    4: ("quarter",),
    5: ("fifth",),
    7: ("week",),
    10: ("tenth",),
    60: ("hour",),
    100: ("%", "percent"),
}


def reference_value(expression: str) -> Fraction:
    """The expression's value, computed here rather than with the package's evaluator."""

    def value(node: ast.AST) -> Fraction:
        if isinstance(node, ast.BinOp):
            return OPERATORS[type(node.op)](value(node.left), value(node.right))
        assert isinstance(node, ast.Constant) and isinstance(node.value, int), ast.dump(node)
        return Fraction(node.value)

    return value(ast.parse(expression, mode="eval").body)


def chain(problem: dict) -> Iterator[tuple[list[int], int]]:
    """Each step's operands and result."""
    steps, _ = split_target(problem["equations"])
    for step in steps:
        expression, result = step.split("=")
        yield [int(n) for n in re.findall(r"\d+", expression)], int(result)


def phrasing_pattern(texts: list[str]) -> re.Pattern:
    """A regex matching, from the start of a sentence, any sentence one of the phrasings can write."""
    alternatives = []
    for text in texts:
        pattern = ""
        for literal, field, _, _ in string.Formatter().parse(text):
            pattern += re.escape(literal)
            if field in ("a", "b", "c", "d", "p"):
                pattern += r"\d+"
            elif field in ("name", "other", "big", "small"):
                pattern += "[A-Z][a-z]+"
            elif field == "names":
                pattern += "[A-Za-z, ]+?"
            elif field is not None:
                pattern += "[a-z0-9 ]+?"
        alternatives.append(f"(?:{pattern})")
    return re.compile(r"(?:^|(?<=[.?] ))(?:" + "|".join(alternatives) + ")")


@pytest.fixture(scope="module")
def problems() -> dict[str, list[dict]]:
    return {split: generate_word_problems(config) for split, config in SPLIT_CONFIGS.items()}


@pytest.mark.parametrize("split", sorted(SPLIT_CONFIGS))
def test_answers_equal_an_independent_evaluation_and_chains_reexecute(problems: dict, split: str) -> None:
    generated = problems[split]
    assert len(generated) == 250 and len({p["question"] for p in generated}) == 250
    for problem in generated:
        assert reference_value(problem["expression"]) == int(problem["answer"]) >= 0
        assert problem["target"] == problem["equations"]
        assert CHAIN_FORMAT.fullmatch(problem["equations"]), problem["equations"]
        steps, answer = split_target(problem["equations"])
        assert check_chain(steps, answer) is None and answer == problem["answer"]
        assert problem["num_steps"] == len(steps) and problem["source"] == f"word_problems/{problem['kind']}"


@pytest.mark.parametrize("split", sorted(SPLIT_CONFIGS))
def test_every_result_is_used_later_or_is_the_answer(problems: dict, split: str) -> None:
    for problem in problems[split]:
        steps = list(chain(problem))
        for index, (_, result) in enumerate(steps[:-1]):
            assert any(result in operands for operands, _ in steps[index + 1 :]), problem


@pytest.mark.parametrize("split", sorted(SPLIT_CONFIGS))
def test_every_given_number_is_in_the_question_and_every_question_number_is_used(
    problems: dict, split: str
) -> None:
    for problem in problems[split]:
        question = problem["question"]
        written = {int(n) for n in re.findall(r"\d+", question)}
        results, operands_used = set(), set()
        for operands, result in chain(problem):
            for n in operands:
                in_words = any(word in question.lower() for word in IMPLIED.get(n, ()))
                assert n in results or n in written or in_words, (n, problem)
            results.add(result)
            operands_used.update(operands)
        assert written <= operands_used, problem  # no distractor numbers


@pytest.mark.parametrize("kind", KINDS)
def test_step_counts_stay_within_bounds_for_every_kind(kind: str) -> None:
    for low, high in ((1, 1), (MAX_STEPS, MAX_STEPS), (2, 5)):
        config = WordProblemConfig(
            kinds=(kind,), held_out_kinds=(), min_steps=low, max_steps=high, num_examples=15, seed=low
        )
        for problem in generate_word_problems(config):
            assert problem["kind"] == kind and low <= problem["num_steps"] <= high


def test_every_kind_and_most_phrasings_are_produced() -> None:
    config = WordProblemConfig(held_out_kinds=(), min_steps=1, max_steps=MAX_STEPS, num_examples=1500)
    generated = generate_word_problems(config)
    assert {p["kind"] for p in generated} == set(KINDS)
    used = {template for p in generated for template in p["templates"]}
    train_templates = {t.id for t in TEMPLATES if t.split == "train"}
    assert used <= train_templates and len(used) >= 0.95 * len(train_templates)
    assert any(len(re.findall(r"\b[A-Z][a-z]+\b", p["question"])) >= 3 for p in generated)  # several people


def test_values_stay_within_max_value() -> None:
    config = WordProblemConfig(held_out_kinds=(), max_steps=MAX_STEPS, max_value=150, num_examples=300)
    for problem in generate_word_problems(config):
        for operands, result in chain(problem):
            assert max(operands) <= 150 and 0 <= result <= 150, problem


def test_same_config_gives_the_same_problems_and_a_new_seed_new_ones() -> None:
    config = WordProblemConfig(max_steps=5, num_examples=100, seed=5)
    assert generate_word_problems(config) == generate_word_problems(config)
    other = generate_word_problems(WordProblemConfig(max_steps=5, num_examples=100, seed=6))
    assert [p["question"] for p in other] != [p["question"] for p in generate_word_problems(config)]


def test_every_slot_has_train_and_held_out_phrasings() -> None:
    splits = defaultdict(set)
    for template in TEMPLATES:
        splits[template.id.rsplit("/", 1)[0]].add(template.split)
    assert all(found == {"train", "test"} for found in splits.values()), splits


def test_held_out_phrasings_and_kinds_never_appear_in_train(problems: dict) -> None:
    held_out = SPLIT_CONFIGS["train"].held_out_kinds
    by_id = {t.id: t for t in TEMPLATES}
    train = problems["train"]
    assert all(
        by_id[i].split == "train" and by_id[i].kind not in held_out for p in train for i in p["templates"]
    )
    assert all(by_id[i].split == "test" for p in problems["test_phrasings"] for i in p["templates"])
    assert {p["kind"] for p in problems["test_kinds"]} == set(held_out)
    unseen = phrasing_pattern([t.text for t in TEMPLATES if t.split == "test" or t.kind in held_out])
    assert not any(unseen.search(p["question"]) for p in train), [
        p["question"] for p in train if unseen.search(p["question"])
    ]
    # The pattern does find the held-out problems' own sentences.
    assert all(unseen.search(p["question"]) for p in problems["test_phrasings"] + problems["test_kinds"])


def test_held_out_splits_do_not_retell_train_problems_with_the_same_seed() -> None:
    chains = {
        split: {p["equations"] for p in generate_word_problems(WordProblemConfig(split=split, min_steps=3))}
        for split in ("train", "test_phrasings")
    }
    assert len(chains["train"] & chains["test_phrasings"]) <= 10  # chance coincidences of 1000, not all


def test_no_kind_shares_a_phrasing_with_another_kind() -> None:
    config = WordProblemConfig(held_out_kinds=(), max_steps=MAX_STEPS, num_examples=600, seed=3)
    generated = generate_word_problems(config)
    for kind in KINDS:
        pattern = phrasing_pattern([t.text for t in TEMPLATES if t.kind == kind])
        others = [p["question"] for p in generated if p["kind"] != kind]
        assert not any(pattern.search(question) for question in others), [
            q for q in others if pattern.search(q)
        ]


def test_same_distribution_test_never_repeats_a_train_question() -> None:
    train = {p["question"] for p in generate_word_problems(WordProblemConfig(max_steps=2, num_examples=300))}
    held_out = word_problem_dataset(WordProblemConfig(max_steps=2, num_examples=300, seed=1), exclude=train)
    assert len(held_out) == 300 and not train & set(held_out["question"])
    assert {"kind", "num_steps", "templates", "expression"} <= set(held_out.column_names)


class EveryQuestion(frozenset):
    """An exclude set that holds every question, so no problem is new."""

    def __contains__(self, question: object) -> bool:
        return True


def test_running_out_of_new_questions_is_an_error() -> None:
    with pytest.raises(ValueError, match="Only 0 distinct problems"):
        generate_word_problems(WordProblemConfig(num_examples=1), exclude=EveryQuestion())


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"kinds": ("sports",)}, "kinds"),
        ({"held_out_kinds": ("time", "time")}, "held_out_kinds"),
        ({"split": "validation"}, "split"),
        ({"split": "test_kinds", "held_out_kinds": ()}, "split"),
        ({"kinds": ("comparisons",)}, "split"),
        ({"min_steps": 0}, "min_steps"),
        ({"min_steps": 3, "max_steps": 2}, "max_steps"),
        ({"max_steps": MAX_STEPS + 1}, "max_steps"),
        ({"max_value": 99}, "max_value"),
        ({"num_examples": -1}, "num_examples"),
    ],
)
def test_config_rejects_bad_values(fields: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        WordProblemConfig(**fields)
