"""The story frames of the word-problem curriculum (`word_problems` tells the stories): each kind's
settings, words, number ranges and phrasings, train and held out.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    """A story setting of one kind: its words, its number ranges and the phrasings of each slot.

    `train` and `held_out` are phrasings written `"<slot>: <text>"`, a slot being an operation of
    `word_problems` (`"add: {name} buys {b} more {item}."`); every slot has both. `numbers` holds the
    ranges that operations draw from: `start` (a first quantity), `amount` (added or taken away),
    `factor` (a count of groups, days, hours or people), `unit` (the size of one group, a price, a
    rate) and `target` (a goal, or the money handed over). A story of a frame with a `signature` uses
    one of those slots (a comparison story compares). `value_cap` bounds every value of the chain
    where the story needs it (ages).
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


# The slots that make a story a fraction or percentage story, or a comparison story.
FRACTION_SLOTS = (
    "fraction_off",
    "fraction_of",
    "percent_off",
    "percent_of",
    "percent_up",
    "ask_fraction",
    "ask_percent",
)
COMPARISON_SLOTS = ("times", "more", "fewer", "fraction_as_many", "ask_difference")

# The stories. Phrasings of one kind never reuse another kind's sentences, so that a held-out kind is
# new text, and every slot has `held_out` phrasings that the train split never uses.
FRAMES = (
    Frame(
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
    Frame(
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
    Frame(
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
    Frame(
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
    Frame(
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
    Frame(
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
    Frame(
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
    Frame(
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
    Frame(
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
    Frame(
        kind="fractions_percentages",
        name="share",
        vocabulary=_vocabulary(
            ("item", "strawberries", "cherries", "cupcakes", "grapes", "plums", "crackers", "pretzels")
        ),
        numbers={"start": range(12, 601, 12), "amount": range(2, 41)},
        signature=FRACTION_SLOTS,
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
    Frame(
        kind="fractions_percentages",
        name="sale",
        vocabulary=_vocabulary(("thing", "jacket", "bike", "tablet", "sofa", "camera", "guitar")),
        numbers={
            "start": range(20, 1001, 20),
            "amount": range(2, 51),
            "factor": range(2, 6),
            "target": range(50, 3001, 50),
        },
        signature=FRACTION_SLOTS,
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
    Frame(
        kind="comparisons",
        name="counts",
        vocabulary=_vocabulary(
            ("item", "stamps", "postcards", "baseball cards", "toy cars", "pins", "seashells")
        ),
        numbers={"start": range(4, 121), "amount": range(2, 41), "factor": range(2, 6)},
        signature=COMPARISON_SLOTS,
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
    Frame(
        kind="comparisons",
        name="ages",
        vocabulary=_vocabulary(),
        numbers={"start": range(2, 41), "amount": range(2, 31), "factor": range(2, 4)},
        value_cap=100,
        signature=COMPARISON_SLOTS,
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
