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
from .word_problem_stories import FRAMES, Frame

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
        frame: Frame,
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


def _templates(frame: Frame) -> dict[str, tuple[Template, ...]]:
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
    rng: random.Random, frame: Frame, templates: dict[str, tuple[Template, ...]], config: WordProblemConfig
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
