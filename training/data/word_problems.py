"""Seeded GSM8K-like word problems in six story kinds, with held-out phrasings and held-out kinds.

A curriculum for pre-training on grade-school word problems before GSM8K. Each problem tells a short
story of one kind (`KINDS`: items, money, time, rates, fractions_percentages, comparisons), often with
several people, and asks one question. Its solution is a chain of 1..8 calculator steps in GSM8K's
format (`"<<48/2=24>> <<48+24=72>> #### 72"`); every value on the chain is a non-negative integer up
to `max_value`, every division is exact, and every step's result is used by a later step or is the
answer. Records have the columns of `generator.generate_problems` (`id`, `question`, `equations`,
`answer`, `target`, `source`, `expression`) plus `kind`, `num_steps` and `templates` (the ids of the
phrasings used).

Every phrasing (`TEMPLATES`) is tagged `"train"` or `"test"`, so a model that memorises phrasings is
caught by held-out splits:

    train = generate_word_problems(WordProblemConfig(max_steps=6, seed=0))
    seen = {problem["question"] for problem in train}
    same = generate_word_problems(WordProblemConfig(max_steps=6, seed=1), exclude=seen)  # new questions
    phrasings = generate_word_problems(WordProblemConfig(split="test_phrasings", max_steps=6))
    kinds = word_problem_dataset(WordProblemConfig(split="test_kinds", held_out_kinds=("comparisons",)))
"""

from __future__ import annotations

import functools
import itertools
import operator
import random
from collections.abc import Callable, Collection
from dataclasses import dataclass
from fractions import Fraction

import datasets

from .equations import target_text
from .generator import NAMES as GENERATOR_NAMES

KINDS = ("items", "money", "time", "rates", "fractions_percentages", "comparisons")
# "train": phrasings of the train split (and of its same-distribution test, with another seed);
# "test_phrasings": the same kinds told only with held-out phrasings; "test_kinds": the held-out kinds.
SPLITS = ("train", "test_phrasings", "test_kinds")
TEMPLATE_SPLITS = ("train", "test")
MAX_STEPS = 8
# Percentages divide by 100 and hours convert to minutes by 60: both must be allowed chain values.
MIN_MAX_VALUE = 100

NAMES = GENERATOR_NAMES + (
    "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sam",
    "Tariq", "Uma", "Victor", "Wen", "Yusuf", "Zoe",
)  # fmt: skip
# Fractions as the question writes them; only these and percentages bring numbers not written as digits.
FRACTIONS = {
    (1, 2): "half",
    (1, 3): "a third",
    (1, 4): "a quarter",
    (1, 5): "a fifth",
    (1, 10): "a tenth",
    (2, 3): "two thirds",
    (3, 4): "three quarters",
    (2, 5): "two fifths",
    (3, 5): "three fifths",
}
PERCENTS = (5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 80)
_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


@dataclass(frozen=True)
class Template:
    """One phrasing of one sentence slot of a story.

    Args:
        id (`str`): `"<kind>/<frame>/<slot>/<index>"`, e.g. `"items/collection/add/3"`.
        kind (`str`): One of `KINDS`.
        text (`str`): The phrasing, a `str.format` pattern (`"{name} buys {b} more {item}."`).
        split (`str`): `"train"` (used by the train split) or `"test"` (held out for `"test_phrasings"`).
    """

    id: str
    kind: str
    text: str
    split: str


@dataclass(frozen=True)
class _Frame:
    """A story setting of one kind: its words, its number ranges and the phrasings of each slot.

    `train` and `held_out` are phrasings written `"<slot>: <text>"`, a slot being a key of `_OPERATIONS`
    (`"add: {name} buys {b} more {item}."`); every slot has both. `numbers` holds the ranges that
    operations draw from: `start` (a first quantity), `amount` (added or taken away), `factor` (a count
    of groups, days, hours or people), `unit` (the size of one group, a price, a rate) and `target` (a
    goal, or the money handed over). A story of a frame with a `signature` uses one of those slots (a
    comparison story compares). `value_cap` bounds every value of the chain where the story needs it
    (ages).
    """

    kind: str
    name: str
    vocabulary: tuple[dict[str, str], ...]
    numbers: dict[str, range]
    train: tuple[str, ...]
    held_out: tuple[str, ...]
    signature: tuple[str, ...] = ()
    value_cap: int | None = None


def _vocabulary(*columns: tuple[str, ...]) -> tuple[dict[str, str], ...]:
    """Every combination of the columns; a column is `(fields, *values)`, `|` joining linked fields
    (`("verb|unit", "reads|pages", "swims|laps")`)."""
    options = [
        [dict(zip(fields.split("|"), value.split("|"), strict=True)) for value in values]
        for fields, *values in columns
    ]
    return tuple(
        {k: v for part in combination for k, v in part.items()} for combination in itertools.product(*options)
    )


@dataclass(frozen=True)
class _Quantity:
    value: int
    expression: str


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


class _Story:
    """A problem being written: its sentences, its chain, and the people holding the quantities.

    Operations act on the newest person's quantity (`current`), so the chain runs in one line and every
    result feeds the next step; a comparison brings in a new person whose quantity is computed from it.
    `answer` is the last result written, the problem's answer once the story ends.
    """

    def __init__(
        self,
        rng: random.Random,
        frame: _Frame,
        templates: dict[str, tuple[Template, ...]],
        max_value: int,
    ) -> None:
        self.rng, self.frame, self.templates = rng, frame, templates
        self.max_value = min(max_value, frame.value_cap or max_value)
        self.words = rng.choice(frame.vocabulary)
        self.unnamed = rng.sample(NAMES, MAX_STEPS + 2)  # a pair and a new person per step at most
        self.people: list[tuple[str, _Quantity]] = []
        self.sentences: list[str] = []
        self.steps: list[str] = []
        self.template_ids: list[str] = []
        self.answer: _Quantity | None = None

    @property
    def current(self) -> _Quantity:
        """The newest person's quantity, which the next operation works on."""
        return self.people[-1][1]

    def choose(self, options: Collection[int], fits: Callable[[int], bool]) -> int | None:
        """One of `options` that fits, or `None`."""
        fitting = [option for option in options if fits(option)]
        return self.rng.choice(fitting) if fitting else None

    def draw(self, numbers: str, fits: Callable[[int], bool] = lambda n: True) -> int | None:
        """A number of the frame's range `numbers` that fits and stays within `max_value`, or `None`."""
        return self.choose(self.frame.numbers[numbers], lambda n: n <= self.max_value and fits(n))

    def compute(self, first: _Quantity | int, *rest: str | _Quantity | int) -> _Quantity:
        """Write one step applying `rest` (operator, operand, ...) left to right: `compute(48, "/", 2)`
        writes `48/2=24`. Callers have chosen operands that keep the result an integer in range."""
        first, *operands = [
            q if isinstance(q, _Quantity) else _Quantity(q, str(q)) for q in (first, *rest[1::2])
        ]
        applied = list(zip(rest[::2], operands, strict=True))
        value = Fraction(first.value)
        for symbol, operand in applied:
            value = _OPERATORS[symbol](value, operand.value)
        step = "".join([str(first.value), *(f"{symbol}{operand.value}" for symbol, operand in applied)])
        expression = " ".join(
            [first.expression, *(f"{symbol} {operand.expression}" for symbol, operand in applied)]
        )
        self.steps.append(f"{step}={int(value)}")
        self.answer = _Quantity(int(value), f"({expression})")
        return self.answer

    def enter(self, quantity: _Quantity | int) -> None:
        """A new person holding `quantity`; later sentences are about them."""
        if isinstance(quantity, int):
            quantity = _Quantity(quantity, str(quantity))
        self.people.append((self.unnamed.pop(), quantity))

    def update(self, quantity: _Quantity) -> None:
        self.people[-1] = (self.people[-1][0], quantity)

    def say(self, slot: str, **fields: str | int) -> None:
        """Add a sentence in one of the slot's phrasings, preferring one this story has not used yet."""
        pool = self.templates[slot]
        template = self.rng.choice([t for t in pool if t.id not in self.template_ids] or pool)
        names = [name for name, _ in self.people]
        self.sentences.append(
            template.text.format(
                name=names[-1],
                other=names[-2] if len(names) > 1 else "",
                names=_join(names),
                **self.words,
                **fields,
            )
        )
        self.template_ids.append(template.id)


# Operations. Each draws numbers that keep every value of the chain a non-negative integer within
# `max_value` (divisions exact), then writes its steps and its sentence; it returns False, having
# written nothing, when it cannot follow the story so far.


def _start(story: _Story, slot: str) -> bool:
    a = story.draw("start")
    if a is None:
        return False
    story.enter(a)
    story.say(slot, a=a)
    return True


def _pair(story: _Story, slot: str) -> bool:
    a, b = story.draw("start"), story.draw("start")
    if a is None or b is None:
        return False
    story.enter(a)
    story.enter(b)
    story.say(slot, a=a, b=b)
    return True


def _start_groups(story: _Story, slot: str) -> bool:
    """`b` groups of `c`: `<<b*c=v>>`."""
    b = story.draw("factor")
    c = story.draw("unit", lambda c: b * c <= story.max_value) if b else None
    if c is None:
        return False
    story.enter(story.compute(b, "*", c))
    story.say(slot, b=b, c=c)
    return True


def _start_teams(story: _Story, slot: str) -> bool:
    """`b` workers making `c` an hour each, for `d` hours: `<<b*c=x>> <<x*d=v>>`."""
    b = story.draw("factor")
    c = story.draw("unit", lambda c: b * c * 2 <= story.max_value) if b else None
    d = story.draw("factor", lambda d: b * c * d <= story.max_value) if c else None
    if d is None:
        return False
    story.enter(story.compute(story.compute(b, "*", c), "*", d))
    story.say(slot, b=b, c=c, d=d)
    return True


def _start_weeks(story: _Story, slot: str) -> bool:
    """`c` a day for `b` weeks: `<<b*7=d>> <<d*c=v>>`."""
    b = story.draw("factor", lambda b: b * 7 <= story.max_value)
    c = story.draw("unit", lambda c: b * 7 * c <= story.max_value) if b else None
    if c is None:
        return False
    story.enter(story.compute(story.compute(b, "*", 7), "*", c))
    story.say(slot, b=b, c=c)
    return True


def _start_hours(story: _Story, slot: str) -> bool:
    """`b` hours in minutes: `<<b*60=v>>`."""
    b = story.draw("factor", lambda b: b * 60 <= story.max_value)
    if b is None:
        return False
    story.enter(story.compute(b, "*", 60))
    story.say(slot, b=b)
    return True


def _add(story: _Story, slot: str) -> bool:
    v = story.current.value
    b = story.draw("amount", lambda b: v + b <= story.max_value)
    if b is None:
        return False
    story.update(story.compute(story.current, "+", b))
    story.say(slot, b=b)
    return True


def _subtract(story: _Story, slot: str) -> bool:
    v = story.current.value
    b = story.draw("amount", lambda b: b < v)  # keeps the quantity positive, so that later steps matter
    if b is None:
        return False
    story.update(story.compute(story.current, "-", b))
    story.say(slot, b=b)
    return True


def _groups(story: _Story, slot: str, sign: str) -> bool:
    """Add or take away `b` groups of `c`: `<<b*c=x>> <<v+x=r>>`."""
    v = story.current.value
    room = story.max_value - v if sign == "+" else v - 1
    b = story.draw("factor", lambda b: b <= room)
    c = story.draw("unit", lambda c: b * c <= room) if b else None
    if c is None:
        return False
    story.update(story.compute(story.current, sign, story.compute(b, "*", c)))
    story.say(slot, b=b, c=c)
    return True


def _add_weeks(story: _Story, slot: str) -> bool:
    """Add `c` a day for `b` weeks: `<<b*7=d>> <<d*c=x>> <<v+x=r>>`."""
    room = story.max_value - story.current.value
    b = story.draw("factor", lambda b: b * 7 <= room)
    c = story.draw("unit", lambda c: b * 7 * c <= room) if b else None
    if c is None:
        return False
    added = story.compute(story.compute(b, "*", 7), "*", c)
    story.update(story.compute(story.current, "+", added))
    story.say(slot, b=b, c=c)
    return True


def _add_hours(story: _Story, slot: str) -> bool:
    """Add `b` hours to a number of minutes: `<<b*60=m>> <<v+m=r>>`."""
    b = story.draw("factor", lambda b: b * 60 <= story.max_value - story.current.value)
    if b is None:
        return False
    story.update(story.compute(story.current, "+", story.compute(b, "*", 60)))
    story.say(slot, b=b)
    return True


def _part(story: _Story, fractions: Collection[tuple[int, int]]) -> tuple[str, _Quantity] | None:
    """One of `fractions` of the current quantity that is a positive integer, written as a step
    (`<<v/q=x>>` or `<<v*p/q=x>>`), with its words (`"two thirds"`)."""
    v, quantity = story.current.value, story.current
    fitting = [(p, q) for p, q in fractions if v * p % q == 0 and v * p >= q]
    if not fitting:
        return None
    p, q = story.rng.choice(fitting)
    part = story.compute(quantity, "/", q) if p == 1 else story.compute(quantity, "*", p, "/", q)
    return FRACTIONS[p, q], part


def _fraction(story: _Story, slot: str, keep: bool) -> bool:
    """Keep a fraction of the quantity, or take it away (then `<<v-x=r>>`)."""
    quantity = story.current
    drawn = _part(story, FRACTIONS)
    if drawn is None:
        return False
    words, part = drawn
    story.update(part if keep else story.compute(quantity, "-", part))
    story.say(slot, fraction=words)
    return True


def _percent(story: _Story, slot: str, sign: str | None) -> bool:
    """Keep `p`% of the quantity (`sign=None`: `<<v*p/100=r>>`), or add it or take it away."""
    v, quantity = story.current.value, story.current
    p = story.choose(
        PERCENTS,
        lambda p: v * p % 100 == 0 and v * p >= 100 and (sign != "+" or v + v * p // 100 <= story.max_value),
    )
    if p is None:
        return False
    part = story.compute(quantity, "*", p, "/", 100)
    story.update(part if sign is None else story.compute(quantity, sign, part))
    story.say(slot, p=p)
    return True


def _compare(story: _Story, slot: str, sign: str) -> bool:
    """A new person with `b` times as many (`sign="*"`), `b` more or `b` fewer than the current one."""
    v = story.current.value
    if sign == "*":
        b = story.draw("factor", lambda b: v * b <= story.max_value)
    elif sign == "+":
        b = story.draw("amount", lambda b: v + b <= story.max_value)
    else:
        b = story.draw("amount", lambda b: b < v)
    if b is None:
        return False
    story.enter(story.compute(story.current, sign, b))
    story.say(slot, b=b, times="twice" if b == 2 else f"{b} times")
    return True


def _fraction_as_many(story: _Story, slot: str) -> bool:
    """A new person with half (a third, ...) as many as the current one: `<<v/q=x>>`."""
    drawn = _part(story, [(1, q) for q in (2, 3, 4, 5)])
    if drawn is None:
        return False
    words, part = drawn
    story.enter(part)
    story.say(slot, fraction=words)
    return True


def _ask(story: _Story, slot: str) -> bool:
    story.say(slot)
    return True


def _multiply(story: _Story, slot: str) -> bool:
    v = story.current.value
    b = story.draw("factor", lambda b: v * b <= story.max_value)
    if b is None:
        return False
    story.update(story.compute(story.current, "*", b))
    story.say(slot, b=b)
    return True


def _divide(story: _Story, slot: str, numbers: str) -> bool:
    """Share the quantity among `b` (`numbers="factor"`) or count groups of `b` (`"unit"`): `<<v/b=r>>`."""
    v = story.current.value
    b = story.draw(numbers, lambda b: v % b == 0 and b < v)
    if b is None:
        return False
    story.update(story.compute(story.current, "/", b))
    story.say(slot, b=b)
    return True


def _short_of(story: _Story, slot: str) -> bool:
    """How far the quantity is from a goal, or the change from money handed over: `<<b-v=r>>`."""
    v = story.current.value
    b = story.draw("target", lambda b: v < b <= 2 * v + 20)
    if b is None:
        return False
    story.update(story.compute(b, "-", story.current))
    story.say(slot, b=b)
    return True


def _to_hours(story: _Story, slot: str) -> bool:
    """A number of minutes in hours: `<<v/60=r>>`."""
    if story.current.value % 60 or story.current.value == 0:
        return False
    story.update(story.compute(story.current, "/", 60))
    story.say(slot)
    return True


def _total(story: _Story, slot: str) -> bool:
    """Everyone's quantities together: `<<a+b+c=r>>`."""
    quantities = [quantity for _, quantity in story.people]
    if len(quantities) < 2 or sum(q.value for q in quantities) > story.max_value:
        return False
    story.compute(quantities[0], *itertools.chain.from_iterable(("+", q) for q in quantities[1:]))
    story.say(slot)
    return True


def _difference(story: _Story, slot: str) -> bool:
    """How many more the first or the newest person has than the other: `<<big-small=r>>`."""
    if len(story.people) < 2 or story.people[0][1].value == story.people[-1][1].value:
        return False
    (big, more), (small, fewer) = sorted((story.people[0], story.people[-1]), key=lambda p: -p[1].value)
    story.compute(more, "-", fewer)
    story.say(slot, big=big, small=small)
    return True


@dataclass(frozen=True)
class _Operation:
    """What a slot does: its place in the story, how many steps it writes, and how."""

    role: str  # "opening", "move" or "ending"
    steps: int
    apply: Callable[[_Story, str], bool]
    compares: bool = False  # brings in a new person computed from the current one
    combines: bool = False  # an ending over the first (or every) person's quantity as well


_OPERATIONS = {
    "start": _Operation("opening", 0, _start),
    "pair": _Operation("opening", 0, _pair),
    "start_groups": _Operation("opening", 1, _start_groups),
    "start_hours": _Operation("opening", 1, _start_hours),
    "start_teams": _Operation("opening", 2, _start_teams),
    "start_weeks": _Operation("opening", 2, _start_weeks),
    "add": _Operation("move", 1, _add),
    "subtract": _Operation("move", 1, _subtract),
    "add_groups": _Operation("move", 2, functools.partial(_groups, sign="+")),
    "subtract_groups": _Operation("move", 2, functools.partial(_groups, sign="-")),
    "add_hours": _Operation("move", 2, _add_hours),
    "add_weeks": _Operation("move", 3, _add_weeks),
    "fraction_of": _Operation("move", 1, functools.partial(_fraction, keep=True)),
    "fraction_off": _Operation("move", 2, functools.partial(_fraction, keep=False)),
    "percent_of": _Operation("move", 1, functools.partial(_percent, sign=None)),
    "percent_off": _Operation("move", 2, functools.partial(_percent, sign="-")),
    "percent_up": _Operation("move", 2, functools.partial(_percent, sign="+")),
    "times": _Operation("move", 1, functools.partial(_compare, sign="*"), compares=True),
    "more": _Operation("move", 1, functools.partial(_compare, sign="+"), compares=True),
    "fewer": _Operation("move", 1, functools.partial(_compare, sign="-"), compares=True),
    "fraction_as_many": _Operation("move", 1, _fraction_as_many, compares=True),
    "ask": _Operation("ending", 0, _ask),
    "ask_add": _Operation("ending", 1, _add),
    "ask_times": _Operation("ending", 1, _multiply),
    "ask_share": _Operation("ending", 1, functools.partial(_divide, numbers="factor")),
    "ask_per": _Operation("ending", 1, functools.partial(_divide, numbers="unit")),
    "ask_short_of": _Operation("ending", 1, _short_of),
    "ask_hours": _Operation("ending", 1, _to_hours),
    "ask_fraction": _Operation("ending", 1, functools.partial(_fraction, keep=True)),
    "ask_percent": _Operation("ending", 1, functools.partial(_percent, sign=None)),
    "ask_total": _Operation("ending", 1, _total, combines=True),
    "ask_difference": _Operation("ending", 1, _difference, combines=True),
}


# The slots that make a story a fraction or percentage story, or a comparison story.
_FRACTION_SLOTS = (
    "fraction_off",
    "fraction_of",
    "percent_off",
    "percent_of",
    "percent_up",
    "ask_fraction",
    "ask_percent",
)
_COMPARISON_SLOTS = ("times", "more", "fewer", "fraction_as_many", "ask_difference")

# The stories. Phrasings of one kind never reuse another kind's sentences, so that a held-out kind is
# new text, and every slot has `held_out` phrasings that the train split never uses.
FRAMES = (
    _Frame(
        kind="items",
        name="collection",
        vocabulary=_vocabulary(
            (
                "item",
                "apples",
                "marbles",
                "stickers",
                "pencils",
                "books",
                "shells",
                "cards",
                "crayons",
                "buttons",
            ),
            ("container", "bags", "boxes", "jars", "packs", "baskets"),
        ),
        numbers={
            "start": range(5, 201),
            "amount": range(2, 41),
            "factor": range(2, 11),
            "unit": range(2, 25),
        },
        train=(
            "start: {name} has {a} {item}.",
            "start: {name} collected {a} {item}.",
            "start: There are {a} {item} in {name}'s room.",
            "pair: {other} has {a} {item} and {name} has {b} {item}.",
            "pair: {other} collected {a} {item}, and {name} collected {b} {item}.",
            "start_groups: {name} buys {b} {container} of {item} with {c} {item} in each.",
            "start_groups: {name} has {b} {container}, and each one holds {c} {item}.",
            "add: {name} buys {b} more {item}.",
            "add: Then {name} finds {b} more {item}.",
            "add: A friend gives {name} {b} {item}.",
            "subtract: {name} gives away {b} {item}.",
            "subtract: Then {name} loses {b} of the {item}.",
            "subtract: {name} gives {b} {item} to a classmate.",
            "add_groups: {name} buys {b} {container} with {c} {item} in each.",
            "add_groups: Then {name} gets {b} more {container} of {c} {item} each.",
            "subtract_groups: {name} gives {b} friends {c} {item} each.",
            "subtract_groups: {name} fills {b} {container} with {c} {item} each and sells them.",
            "ask: How many {item} does {name} have now?",
            "ask: How many {item} does {name} have in the end?",
            "ask_share: If {name} shares the {item} equally among {b} friends, how many {item} does each "
            "friend get?",
            "ask_per: {name} puts all the {item} into {container} of {b}. "
            "How many {container} does {name} fill?",
            "ask_total: How many {item} do {names} have altogether?",
            "ask_total: How many {item} do {names} have in total?",
        ),
        held_out=(
            "start: {name} keeps a collection of {a} {item}.",
            "pair: {other} keeps {a} {item} at home, while {name} keeps {b} of them.",
            "start_groups: {name} brings home {b} {container} that hold {c} {item} apiece.",
            "add: {name}'s aunt sends {name} another {b} {item}.",
            "subtract: Later, {b} of {name}'s {item} go missing.",
            "add_groups: At a fair, {name} wins {b} {container} holding {c} {item} each.",
            "subtract_groups: {name} hands {c} {item} to each of {b} neighbors.",
            "ask: What is the final number of {item} that {name} has?",
            "ask_share: {name} splits the {item} evenly between {b} cousins. "
            "How many {item} does each cousin receive?",
            "ask_per: {name} wants to make piles of {b} {item}. How many piles can {name} make?",
            "ask_total: What is the combined number of {item} that {names} have?",
        ),
    ),
    _Frame(
        kind="items",
        name="stock",
        vocabulary=_vocabulary(
            (
                "place|item|container",
                "bakery|muffins|trays",
                "farm stand|melons|crates",
                "toy store|kites|cartons",
                "bookstore|notebooks|boxes",
                "flower shop|roses|buckets",
            )
        ),
        numbers={
            "start": range(20, 401),
            "amount": range(5, 101),
            "factor": range(2, 13),
            "unit": range(6, 49),
        },
        train=(
            "start: {name}'s {place} has {a} {item} in stock.",
            "start: In the morning, {name}'s {place} has {a} {item}.",
            "start_groups: {name}'s {place} receives {b} {container} of {item}, each with {c} {item}.",
            "start_groups: A delivery brings {name}'s {place} {b} {container} holding {c} {item} each.",
            "add: A delivery brings {b} more {item}.",
            "add: {name} adds {b} {item} to the shelves.",
            "subtract: The {place} sells {b} {item} in the morning.",
            "subtract: Customers buy {b} {item}.",
            "add_groups: {name} unpacks {b} more {container} with {c} {item} in each.",
            "subtract_groups: {b} customers each buy {c} {item}.",
            "subtract_groups: The {place} sells {b} {container} of {c} {item}.",
            "ask: How many {item} does the {place} have left?",
            "ask: How many {item} are left at the end of the day?",
            "ask_share: The {item} are shared equally among {b} stores. How many {item} does each store get?",
            "ask_per: {name} packs the {item} into {container} of {b}. "
            "How many {container} does {name} need?",
        ),
        held_out=(
            "start: {name} opens the {place} with {a} {item} on the shelves.",
            "start_groups: {name} unloads {b} {container} at the {place}, and every one of them has {c} "
            "{item}.",
            "add: Before noon, the {place} gets {b} extra {item}.",
            "subtract: By lunchtime, {b} {item} have been sold.",
            "add_groups: In the afternoon {b} {container} arrive, each holding {c} {item}.",
            "subtract_groups: A school orders {c} {item} for each of its {b} classes.",
            "ask: What number of {item} remains at the {place}?",
            "ask_share: {name} sends the {item} in equal loads to {b} markets. "
            "How many {item} does each market get?",
            "ask_per: The {item} go on sale in bundles of {b}. How many bundles are there?",
        ),
    ),
    _Frame(
        kind="money",
        name="wallet",
        vocabulary=_vocabulary(
            ("goods", "notebooks", "comic books", "sandwiches", "movie tickets", "toy cars", "bracelets"),
            ("gift", "a book", "a scarf", "a board game", "a lamp"),
        ),
        numbers={
            "start": range(10, 301),
            "amount": range(2, 81),
            "factor": range(2, 11),
            "unit": range(2, 41),
            "target": range(10, 1001, 10),
        },
        train=(
            "start: {name} has ${a}.",
            "start: {name} saved ${a}.",
            "start: There is ${a} in {name}'s piggy bank.",
            "pair: {other} has ${a} and {name} has ${b}.",
            "pair: {other} saved ${a}, and {name} saved ${b}.",
            "start_groups: {name} earns ${c} for each of {b} chores.",
            "start_groups: {name} sells {b} {goods} for ${c} each.",
            "add: {name} earns ${b} more.",
            "add: Then {name} is given ${b} for a birthday.",
            "add: {name} finds ${b} on the sidewalk.",
            "subtract: {name} spends ${b} on lunch.",
            "subtract: Then {name} pays ${b} for {gift}.",
            "subtract: {name} loses ${b}.",
            "add_groups: {name} sells {b} {goods} for ${c} each.",
            "add_groups: {name} works {b} shifts and earns ${c} for each shift.",
            "subtract_groups: {name} buys {b} {goods} at ${c} each.",
            "subtract_groups: Then {name} pays for {b} {goods} that cost ${c} each.",
            "ask: How much money does {name} have now?",
            "ask: How many dollars does {name} have left?",
            "ask_per: {name} wants to buy {goods} that cost ${b} each. "
            "How many can {name} buy with all of the money?",
            "ask_share: If {name} splits the money equally among {b} friends, how many dollars does each "
            "friend get?",
            "ask_short_of: How much more money does {name} need to buy a bike that costs ${b}?",
            "ask_total: How much money do {names} have altogether?",
            "ask_total: What is the total amount of money {names} have?",
        ),
        held_out=(
            "start: {name}'s wallet holds ${a}.",
            "pair: {other} keeps ${a} in a jar, while {name} keeps ${b}.",
            "start_groups: {name} mows {b} lawns and is paid ${c} for every lawn.",
            "add: {name}'s grandmother sends {name} ${b}.",
            "subtract: A ticket to the zoo costs {name} ${b}.",
            "add_groups: {name} babysits on {b} evenings and gets ${c} each evening.",
            "subtract_groups: {name} picks out {b} {goods}, and each one costs ${c}.",
            "ask: What amount of money is left in {name}'s wallet?",
            "ask_per: With all of that money, how many {goods} priced at ${b} can {name} afford?",
            "ask_share: {name} divides the money evenly into {b} envelopes. How much goes in each envelope?",
            "ask_short_of: A game console costs ${b}. How many more dollars must {name} save to afford it?",
            "ask_total: What is the combined amount of money that {names} have?",
        ),
    ),
    _Frame(
        kind="money",
        name="shopping",
        vocabulary=_vocabulary(
            ("goods", "shirts", "candles", "mugs", "plants", "puzzles", "towels"),
            ("extra", "a pen", "a poster", "a water bottle", "a cap"),
        ),
        numbers={
            "start": range(2, 61),
            "amount": range(1, 41),
            "factor": range(2, 11),
            "unit": range(1, 31),
            "target": range(10, 2001, 10),
        },
        train=(
            "start: {name} buys {extra} for ${a}.",
            "start: {name} spends ${a} on {extra}.",
            "start_groups: {name} buys {b} {goods} that cost ${c} each.",
            "start_groups: {name} orders {b} {goods} at ${c} apiece.",
            "add: {name} also pays ${b} for gift wrapping.",
            "add: Then a ${b} delivery fee is added.",
            "add_groups: {name} also buys {b} {goods} at ${c} each.",
            "add_groups: Then {name} adds {b} {goods} costing ${c} each.",
            "subtract: {name} uses a coupon for ${b} off.",
            "subtract: The store gives {name} a ${b} discount.",
            "ask: How much does {name} spend in total?",
            "ask: How much money does {name} pay altogether?",
            "ask_short_of: {name} pays with ${b}. How much change does {name} get?",
            "ask_short_of: If {name} hands the cashier ${b}, how much change does {name} receive?",
            "ask_share: If {b} friends split the cost equally, how much does each friend pay?",
        ),
        held_out=(
            "start: The first thing {name} picks up is {extra} for ${a}.",
            "start_groups: At the store, {name} chooses {b} {goods} priced at ${c} each.",
            "add: The cashier adds a ${b} bag charge.",
            "add_groups: {name} puts {b} more {goods} in the cart, and each is ${c}.",
            "subtract: A gift card takes ${b} off {name}'s bill.",
            "ask: What is {name}'s total bill?",
            "ask_short_of: {name} gives the clerk ${b}. What is {name}'s change?",
            "ask_share: The bill is shared equally by {b} people. What does each person pay?",
        ),
    ),
    _Frame(
        kind="time",
        name="daily",
        vocabulary=_vocabulary(
            (
                "verb|base|unit",
                "reads|read|pages",
                "swims|swim|laps",
                "solves|solve|math problems",
                "knits|knit|rows",
                "folds|fold|paper cranes",
            )
        ),
        numbers={
            "start": range(5, 101),
            "amount": range(2, 61),
            "factor": range(2, 15),
            "unit": range(2, 51),
            "target": range(50, 5001, 50),
        },
        train=(
            "start: On Monday, {name} {verb} {a} {unit}.",
            "start_groups: {name} {verb} {c} {unit} a day for {b} days.",
            "start_groups: For {b} days, {name} {verb} {c} {unit} each day.",
            "start_weeks: {name} {verb} {c} {unit} every day for {b} weeks.",
            "add: The next day, {name} {verb} another {b} {unit}.",
            "add: On the weekend, {name} {verb} {b} more {unit}.",
            "add_groups: Then {name} {verb} {c} {unit} a day for {b} more days.",
            "add_weeks: After that, {name} {verb} {c} {unit} every day for {b} more weeks.",
            "ask: In total, how many {unit} does {name} {base}?",
            "ask: How many {unit} does {name} {base} over all those days?",
            "ask_short_of: {name}'s goal is {b} {unit}. How many more {unit} does {name} need to reach it?",
        ),
        held_out=(
            "start: {name} {verb} {a} {unit} on the first day of the month.",
            "start_groups: Every day for {b} days in a row, {name} {verb} {c} {unit}.",
            "start_weeks: For {b} whole weeks, {name} {verb} {c} {unit} daily.",
            "add: After that, {name} also {verb} {b} extra {unit}.",
            "add_groups: During the following {b} days, {name} {verb} {c} {unit} each morning.",
            "add_weeks: Over the next {b} weeks, {name} keeps up {c} {unit} a day.",
            "ask: What is the total number of {unit} that {name} gets through?",
            "ask_short_of: How many {unit} short of a goal of {b} is {name}?",
        ),
    ),
    _Frame(
        kind="time",
        name="minutes",
        vocabulary=_vocabulary(
            ("activity", "homework", "piano practice", "reading", "chores", "exercise", "painting")
        ),
        numbers={
            "start": range(15, 181, 15),
            "amount": range(15, 121, 15),
            "factor": range(2, 8),
            "unit": range(15, 91, 15),
            "target": range(60, 3001, 30),
        },
        train=(
            "start: {name} spends {a} minutes on {activity} on Saturday.",
            "start_groups: {name} spends {c} minutes a day on {activity} for {b} days.",
            "start_groups: For {b} days, {name} does {c} minutes of {activity} each day.",
            "start_hours: {name} spends {b} hours on {activity} over the weekend.",
            "add: Then {name} spends {b} more minutes on {activity}.",
            "add: On Sunday, {name} adds another {b} minutes of {activity}.",
            "add_groups: The next week, {name} spends {c} minutes a day on it for {b} days.",
            "add_hours: {name} also spends {b} hours on {activity} during the holidays.",
            "ask: How many minutes does {name} spend on {activity} in total?",
            "ask: How many minutes is that altogether?",
            "ask_hours: How many hours does {name} spend on {activity} in total?",
            "ask_hours: How many hours is that altogether?",
            "ask_short_of: {name} wants to reach {b} minutes of {activity}. "
            "How many more minutes are needed?",
        ),
        held_out=(
            "start: One afternoon, {activity} keeps {name} busy for {a} minutes.",
            "start_groups: {name} sets aside {c} minutes for {activity} on each of {b} days.",
            "start_hours: Over the holiday, {name} puts {b} hours into {activity}.",
            "add: Later, {name} squeezes in an extra {b} minutes.",
            "add_groups: After that, {name} adds {c} minutes on each of {b} more days.",
            "add_hours: Later that month, {name} does {b} more hours of {activity}.",
            "ask: What is the total time, in minutes, that {name} spends on {activity}?",
            "ask_hours: Altogether, how many hours of {activity} is that?",
            "ask_short_of: How many minutes are still missing from a goal of {b} minutes?",
        ),
    ),
    _Frame(
        kind="rates",
        name="travel",
        vocabulary=_vocabulary(
            ("verb|unit", "drives|miles", "cycles|kilometers", "rides|miles", "sails|kilometers")
        ),
        numbers={
            "amount": range(2, 101),
            "factor": range(2, 9),
            "unit": range(10, 81, 5),
            "target": range(100, 5001, 50),
        },
        train=(
            "start_groups: {name} {verb} at {c} {unit} per hour for {b} hours.",
            "start_groups: For {b} hours, {name} {verb} at a speed of {c} {unit} an hour.",
            "add_groups: Then {name} {verb} at {c} {unit} per hour for {b} more hours.",
            "add: {name} then {verb} another {b} {unit}.",
            "ask: How many {unit} does {name} travel in total?",
            "ask: How far does {name} go altogether, in {unit}?",
            "ask_per: How many hours would the same distance take at {b} {unit} per hour?",
            "ask_short_of: The whole trip is {b} {unit}. How many {unit} does {name} still have to go?",
        ),
        held_out=(
            "start_groups: Going {c} {unit} every hour, {name} {verb} for {b} hours.",
            "add_groups: After a short stop, {name} keeps going at {c} {unit} an hour for another {b} hours.",
            "add: A detour adds {b} {unit} to the trip.",
            "ask: What total distance, in {unit}, does {name} cover?",
            "ask_per: Coming back at {b} {unit} an hour, how many hours does the return trip take?",
            "ask_short_of: {name}'s destination is {b} {unit} from home. How many {unit} are left?",
        ),
    ),
    _Frame(
        kind="rates",
        name="work",
        vocabulary=_vocabulary(
            (
                "worker|workers|verb|unit",
                "machine|machines|fills|bottles",
                "printer|printers|prints|posters",
                "oven|ovens|bakes|loaves",
                "robot|robots|packs|parcels",
            )
        ),
        numbers={"amount": range(2, 51), "factor": range(2, 9), "unit": range(5, 61)},
        train=(
            "start_groups: {name}'s {worker} {verb} {c} {unit} per hour and runs for {b} hours.",
            "start_groups: In one hour, {name}'s {worker} {verb} {c} {unit}, and it runs for {b} hours.",
            "start_teams: {name}'s workshop has {b} {workers}, and each one {verb} {c} {unit} per hour for "
            "{d} hours.",
            "add_groups: Then a second {worker} {verb} {c} {unit} per hour for {b} hours.",
            "add: The next morning, {b} more {unit} are made.",
            "subtract: {b} of the {unit} are damaged and thrown away.",
            "ask: How many {unit} does {name} have at the end?",
            "ask: How many {unit} are ready to ship?",
            "ask_per: The {unit} are packed in boxes of {b}. How many boxes are filled?",
        ),
        held_out=(
            "start_groups: For {b} hours, {name}'s {worker} turns out {c} {unit} every hour.",
            "start_teams: There are {b} {workers} at {name}'s shop; every one of them {verb} {c} {unit} an "
            "hour, for {d} hours.",
            "add_groups: Another {worker} joins in and adds {c} {unit} an hour for {b} hours.",
            "add: An extra batch adds {b} {unit}.",
            "subtract: Inspectors reject {b} {unit}.",
            "ask: What is the final count of {unit} at {name}'s shop?",
            "ask_per: If {b} {unit} fit in a crate, how many crates are needed?",
        ),
    ),
    _Frame(
        kind="rates",
        name="unit_price",
        vocabulary=_vocabulary(
            (
                "goods|unit|units",
                "rice|pound|pounds",
                "rope|meter|meters",
                "fabric|yard|yards",
                "gas|gallon|gallons",
                "cheese|pound|pounds",
                "paint|liter|liters",
            )
        ),
        numbers={
            "amount": range(2, 21),
            "factor": range(2, 11),
            "unit": range(2, 16),
            "target": range(20, 2001, 20),
        },
        train=(
            "start_groups: {name} buys {b} {units} of {goods} at ${c} per {unit}.",
            "start_groups: At the market, {goods} costs ${c} per {unit}, and {name} buys {b} {units}.",
            "add_groups: {name} also buys {b} {units} of {goods} for a friend at ${c} per {unit}.",
            "add: The store charges ${b} more for delivery.",
            "subtract: Because {name} buys in bulk, ${b} is taken off.",
            "ask: How much does {name} pay in total?",
            "ask: How many dollars does {name} spend?",
            "ask_short_of: {name} hands over ${b}. How many dollars come back as change?",
        ),
        held_out=(
            "start_groups: The price of {goods} is ${c} a {unit}, and {name} gets {b} {units}.",
            "add_groups: For a neighbor, {name} picks up {b} more {units} at ${c} a {unit}.",
            "add: {name} adds a ${b} tip.",
            "subtract: A member discount saves {name} ${b}.",
            "ask: What does {name} pay altogether, in dollars?",
            "ask_short_of: How much is left of the ${b} that {name} brought?",
        ),
    ),
    _Frame(
        kind="fractions_percentages",
        name="share",
        vocabulary=_vocabulary(
            ("item", "strawberries", "cherries", "cupcakes", "grapes", "plums", "crackers", "pretzels")
        ),
        numbers={"start": range(12, 601, 12), "amount": range(2, 41)},
        signature=_FRACTION_SLOTS,
        train=(
            "start: {name} picked {a} {item} at the farm.",
            "start: {name} bought a bag of {a} {item}.",
            "fraction_off: {name} gives {fraction} of them to a neighbor.",
            "fraction_off: {name} eats {fraction} of the {item}.",
            "fraction_off: Then {name} shares {fraction} of the remaining {item} with friends.",
            "fraction_of: {name} keeps only {fraction} of the {item} and sells the rest.",
            "percent_off: {name} sells {p}% of the {item} at a market.",
            "percent_off: {p}% of the {item} go to a food bank.",
            "percent_of: Only {p}% of the {item} are still fresh, and {name} throws the rest away.",
            "add: {name}'s neighbor brings over {b} more {item}.",
            "ask: How many {item} does {name} still have?",
            "ask: How many {item} remain?",
            "ask_fraction: If {name} uses {fraction} of them to make jam, how many {item} go into the jam?",
            "ask_percent: {name} wants to bake with {p}% of the {item}. How many {item} is that?",
        ),
        held_out=(
            "start: {name} was given a crate of {a} {item}.",
            "fraction_off: {name}'s cousins take {fraction} of the {item}.",
            "fraction_of: {name} holds on to {fraction} of the {item} and gives the others away.",
            "percent_off: Later, {name} donates {p} percent of them.",
            "percent_of: {name} keeps {p} percent of the {item} and gives away the rest.",
            "add: Then {b} extra {item} arrive from the market.",
            "ask: What number of {item} is still with {name}?",
            "ask_fraction: How many {item} make up {fraction} of what {name} has?",
            "ask_percent: What is {p} percent of {name}'s {item}?",
        ),
    ),
    _Frame(
        kind="fractions_percentages",
        name="sale",
        vocabulary=_vocabulary(("thing", "jacket", "bike", "tablet", "sofa", "camera", "guitar")),
        numbers={
            "start": range(20, 1001, 20),
            "amount": range(2, 51),
            "factor": range(2, 6),
            "target": range(50, 3001, 50),
        },
        signature=_FRACTION_SLOTS,
        train=(
            "start: {name} wants a {thing} that costs ${a}.",
            "start: A {thing} in a shop window is priced at ${a}.",
            "percent_off: The store takes {p}% off the price.",
            "percent_off: The {thing} goes on sale for {p}% off.",
            "percent_up: Sales tax adds {p}% to the price.",
            "percent_up: Then the price rises by {p}%.",
            "fraction_off: During a clearance sale, the price drops by {fraction}.",
            "add: Gift wrapping adds ${b} to the cost.",
            "subtract: {name} has a ${b} gift card to use on it.",
            "ask: How much does {name} pay for the {thing}?",
            "ask: What is the final price of the {thing}?",
            "ask_times: How much would {name} pay for {b} of them at that price?",
            "ask_short_of: {name} brings ${b} to the store. How much money is left after buying the {thing}?",
        ),
        held_out=(
            "start: {name} sees a {thing} with a price tag of ${a}.",
            "percent_off: A coupon cuts {p} percent from the price.",
            "percent_up: Shipping raises the cost by {p} percent.",
            "fraction_off: A member deal knocks {fraction} off the price.",
            "add: {name} also pays a ${b} service fee.",
            "subtract: A ${b} rebate comes off the price.",
            "ask: In the end, how many dollars does the {thing} cost {name}?",
            "ask_times: What would {b} of these cost altogether?",
            "ask_short_of: How much of {name}'s ${b} budget is left after the purchase?",
        ),
    ),
    _Frame(
        kind="comparisons",
        name="counts",
        vocabulary=_vocabulary(
            ("item", "stamps", "postcards", "baseball cards", "toy cars", "pins", "seashells")
        ),
        numbers={"start": range(4, 121), "amount": range(2, 41), "factor": range(2, 6)},
        signature=_COMPARISON_SLOTS,
        train=(
            "start: {name} owns {a} {item}.",
            "start: {name}'s collection has {a} {item}.",
            "pair: {other} owns {a} {item}, and {name} owns {b}.",
            "times: {name} has {times} as many {item} as {other}.",
            "times: {name} owns {times} as many {item} as {other} does.",
            "more: {name} has {b} more {item} than {other}.",
            "more: {name} owns {b} more {item} than {other} does.",
            "fewer: {name} has {b} fewer {item} than {other}.",
            "fewer: {name} owns {b} fewer {item} than {other} does.",
            "fraction_as_many: {name} has {fraction} as many {item} as {other}.",
            "add: {name} later adds {b} {item} to the collection.",
            "subtract: {name} trades away {b} of the {item}.",
            "ask: How many {item} does {name} own?",
            "ask: How many {item} are in {name}'s collection?",
            "ask_total: How many {item} do {names} own together?",
            "ask_total: How many {item} do they have combined?",
            "ask_difference: How many more {item} does {big} have than {small}?",
        ),
        held_out=(
            "start: So far, {name} has gathered {a} {item}.",
            "pair: {other}'s album holds {a} {item}, and {name}'s holds {b}.",
            "times: The number of {item} {name} has is {times} the number {other} has.",
            "more: {name} is ahead of {other} by {b} {item}.",
            "fewer: Compared with {other}, {name} is {b} {item} short.",
            "fraction_as_many: {name} owns just {fraction} as many {item} as {other} does.",
            "add: Afterwards, {name}'s collection grows by {b} {item}.",
            "subtract: {name} then swaps {b} {item} for a poster.",
            "ask: What is the size of {name}'s collection?",
            "ask_total: Counting everyone, how many {item} are there?",
            "ask_difference: By how many {item} does {big}'s collection beat {small}'s?",
        ),
    ),
    _Frame(
        kind="comparisons",
        name="ages",
        vocabulary=_vocabulary(),
        numbers={"start": range(2, 41), "amount": range(2, 31), "factor": range(2, 4)},
        value_cap=100,
        signature=_COMPARISON_SLOTS,
        train=(
            "start: {name} is {a} years old.",
            "start: {name} just turned {a}.",
            "pair: {other} is {a} years old and {name} is {b}.",
            "times: {name} is {times} as old as {other}.",
            "more: {name} is {b} years older than {other}.",
            "fewer: {name} is {b} years younger than {other}.",
            "fraction_as_many: {name} is {fraction} as old as {other}.",
            "ask: How old is {name}?",
            "ask_add: How old will {name} be in {b} years?",
            "ask_total: What is the sum of the ages of {names}?",
            "ask_difference: How many years older is {big} than {small}?",
        ),
        held_out=(
            "start: {name}'s age is {a}.",
            "pair: The ages of {other} and {name} are {a} and {b}.",
            "times: {name}'s age is {times} {other}'s age.",
            "more: {name} was born {b} years before {other}.",
            "fewer: {name} was born {b} years after {other}.",
            "fraction_as_many: {name}'s age is {fraction} of {other}'s age.",
            "ask: What is {name}'s age?",
            "ask_add: What age will {name} reach {b} years from now?",
            "ask_total: If you add up the ages of {names}, what do you get?",
            "ask_difference: What is the age gap between {big} and {small}?",
        ),
    ),
)


def _templates(frame: _Frame) -> dict[str, tuple[Template, ...]]:
    """The frame's phrasings as `Template`s by slot, numbered in the order written."""
    templates: dict[str, list[Template]] = {}
    for split, phrasings in (("train", frame.train), ("test", frame.held_out)):
        for phrasing in phrasings:
            slot, text = phrasing.split(": ", 1)
            pool = templates.setdefault(slot, [])
            pool.append(Template(f"{frame.kind}/{frame.name}/{slot}/{len(pool)}", frame.kind, text, split))
    return {slot: tuple(pool) for slot, pool in templates.items()}


_FRAME_TEMPLATES = {frame.name: _templates(frame) for frame in FRAMES}
TEMPLATES = tuple(
    template for slots in _FRAME_TEMPLATES.values() for pool in slots.values() for template in pool
)


@dataclass(frozen=True)
class WordProblemConfig:
    """What to generate.

    Args:
        kinds (`tuple[str, ...]`, defaults to `KINDS`): Story kinds of the curriculum, drawn uniformly.
        held_out_kinds (`tuple[str, ...]`, defaults to `("comparisons",)`): Kinds never generated for
            `"train"` or `"test_phrasings"`; `"test_kinds"` generates only these.
        split (`str`, defaults to `"train"`): `"train"` (train phrasings of `kinds` less
            `held_out_kinds`; with another `seed` and `exclude`, also the same-distribution test),
            `"test_phrasings"` (the same kinds in held-out phrasings only) or `"test_kinds"` (every
            phrasing of `held_out_kinds`).
        min_steps (`int`, defaults to 1): Fewest steps (equations) of a chain.
        max_steps (`int`, defaults to 4): Most steps of a chain, at most `MAX_STEPS` (8).
        max_value (`int`, defaults to 9999): Largest number of a chain, at least `MIN_MAX_VALUE` (100).
        num_examples (`int`, defaults to 1000): Problems to generate, all with distinct questions.
        seed (`int`, defaults to 0): Random seed; the same config gives the same problems.

    Example:
        >>> config = WordProblemConfig(min_steps=2, max_steps=6, num_examples=500, seed=1)
        >>> problems = generate_word_problems(config)
        >>> problems[0]["equations"]  # e.g. "<<48/2=24>> <<48+24=72>> #### 72"
    """

    kinds: tuple[str, ...] = KINDS
    held_out_kinds: tuple[str, ...] = ("comparisons",)
    split: str = "train"
    min_steps: int = 1
    max_steps: int = 4
    max_value: int = 9999
    num_examples: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        for field in ("kinds", "held_out_kinds"):
            values = getattr(self, field)
            if not set(values) <= set(KINDS) or len(set(values)) != len(values):
                raise ValueError(f"`{field}` must hold distinct kinds of {KINDS}, got {values!r}.")
        if self.split not in SPLITS:
            raise ValueError(f"`split` must be one of {SPLITS}, got {self.split!r}.")
        if not self.drawn_kinds:
            raise ValueError(
                f"`split={self.split!r}` draws no kind from `kinds={self.kinds!r}` and "
                f"`held_out_kinds={self.held_out_kinds!r}`."
            )
        if not 1 <= self.min_steps <= self.max_steps <= MAX_STEPS:
            raise ValueError(
                f"Need 1 <= `min_steps` <= `max_steps` <= {MAX_STEPS}, got {self.min_steps} and "
                f"{self.max_steps}."
            )
        if self.max_value < MIN_MAX_VALUE:
            raise ValueError(f"`max_value` must be at least {MIN_MAX_VALUE}, got {self.max_value}.")
        if self.num_examples < 0:
            raise ValueError(f"`num_examples` must be >= 0, got {self.num_examples}.")

    @property
    def drawn_kinds(self) -> tuple[str, ...]:
        """The kinds `split` generates."""
        if self.split == "test_kinds":
            return self.held_out_kinds
        return tuple(kind for kind in self.kinds if kind not in self.held_out_kinds)


def _write_story(
    rng: random.Random, frame: _Frame, templates: dict[str, tuple[Template, ...]], config: WordProblemConfig
) -> _Story | None:
    """One problem of `frame` with between `min_steps` and `max_steps` steps, or `None` when the drawn
    numbers lead nowhere (the caller draws again)."""
    story = _Story(rng, frame, templates, config.max_value)
    num_steps = rng.randint(config.min_steps, config.max_steps)
    slots = {
        role: [s for s in templates if _OPERATIONS[s].role == role] for role in ("opening", "move", "ending")
    }
    opening = rng.choice([s for s in slots["opening"] if _OPERATIONS[s].steps <= num_steps])
    budget = num_steps - _OPERATIONS[opening].steps
    can_compare = any(_OPERATIONS[s].compares for s in slots["move"])

    def fits(ending: _Operation) -> bool:
        # A pair's first quantity is used only by a combining ending; a single person needs a
        # comparison first to have someone to combine with.
        if ending.steps > budget:
            return False
        if opening == "pair":
            return ending.combines
        return not ending.combines or (can_compare and budget > ending.steps)

    ending = rng.choice([s for s in slots["ending"] if fits(_OPERATIONS[s])])
    left = budget - _OPERATIONS[ending].steps
    must_compare = _OPERATIONS[ending].combines and opening != "pair"
    if not _OPERATIONS[opening].apply(story, opening):
        return None
    used = [opening]
    while left > 0:
        moves = [
            s
            for s in slots["move"]
            if _OPERATIONS[s].steps <= left and (_OPERATIONS[s].compares or not must_compare)
        ]
        rng.shuffle(moves)
        moves.sort(key=used.__contains__)  # moves new to the story first, for variety
        move = next((s for s in moves if _OPERATIONS[s].apply(story, s)), None)
        if move is None:
            return None
        used.append(move)
        left, must_compare = left - _OPERATIONS[move].steps, False
    if not _OPERATIONS[ending].apply(story, ending):
        return None
    if frame.signature and not set(frame.signature) & {*used, ending}:
        return None
    return story


def generate_word_problems(
    config: WordProblemConfig, target: str = "equations", exclude: Collection[str] = ()
) -> list[dict[str, str | int | list[str]]]:
    """`config.num_examples` word problems with distinct questions, deterministic for `config` and `exclude`.

    Args:
        config (`WordProblemConfig`): What to generate.
        target (`str`, defaults to `"equations"`): `"final"` or `"equations"`, the text put in `target`.
        exclude (`Collection[str]`, defaults to `()`): Questions not to generate (a training set's, for
            the same-distribution test); the draws go on until `num_examples` others are found.

    Returns:
        `list[dict]`: Records with `id`, `question`, `equations`, `answer`, `target`, `source`
        (`"word_problems/<kind>"`), `expression` (the chain as one arithmetic expression), `kind`,
        `num_steps` and `templates` (the ids of the phrasings used, in order).

    Raises:
        `ValueError`: When the config cannot give that many distinct questions.
    """
    tags = {"train": ("train",), "test_phrasings": ("test",), "test_kinds": TEMPLATE_SPLITS}[config.split]
    templates = {
        name: {slot: tuple(t for t in pool if t.split in tags) for slot, pool in slots.items()}
        for name, slots in _FRAME_TEMPLATES.items()
    }
    frames = {kind: [frame for frame in FRAMES if frame.kind == kind] for kind in config.drawn_kinds}
    # Seeded by the split too: with one stream, a held-out split would retell the train problems' numbers.
    rng = random.Random(f"word_problems/{config.split}/{config.seed}")
    problems, seen = [], set()
    for _ in range(100 * config.num_examples + 100):
        if len(problems) == config.num_examples:
            break
        kind = rng.choice(config.drawn_kinds)
        frame = rng.choice(frames[kind])
        story = _write_story(rng, frame, templates[frame.name], config)
        if story is None:
            continue
        question = " ".join(story.sentences)
        if question in seen or question in exclude:
            continue
        seen.add(question)
        answer = str(story.answer.value)
        problems.append(
            {
                "id": f"word_problems-{config.split}-{config.seed}-{len(problems)}",
                "question": question,
                "equations": target_text("equations", story.steps, answer),
                "answer": answer,
                "target": target_text(target, story.steps, answer),
                "source": f"word_problems/{kind}",
                "expression": story.answer.expression,
                "kind": kind,
                "num_steps": len(story.steps),
                "templates": story.template_ids,
            }
        )
    if len(problems) < config.num_examples:
        raise ValueError(
            f"Only {len(problems)} distinct problems (besides {len(exclude)} excluded) were found for "
            f"{config}; ask for fewer."
        )
    return problems


def word_problem_dataset(
    config: WordProblemConfig, target: str = "equations", exclude: Collection[str] = ()
) -> datasets.Dataset:
    """`generate_word_problems(config, target, exclude)` as a `datasets.Dataset`."""
    return datasets.Dataset.from_list(generate_word_problems(config, target, exclude))
