"""GSM8K and SVAMP loading, the equation chains, and errors on bad input."""

from __future__ import annotations

import json
import logging
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from modeling_trm.calculator import evaluate, extract_steps, format_number
from training.data.equations import check_chain, split_target, target_text
from training.data.gsm8k import load_gsm8k
from training.data.svamp import equation_steps, load_svamp
from training.metrics import extract_final_answer

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GSM8K, SVAMP = DATA / "gsm8k", DATA / "svamp"
needs_data = pytest.mark.skipif(not GSM8K.is_dir() or not SVAMP.is_dir(), reason=f"no data in {DATA}")

# Why the calculator annotations of a GSM8K solution do not re-execute to its `####` answer, per
# file (measured; see `equations.CHAIN_FAILURES`). `None` counts the chains that do.
CHAIN_CHECKS = {
    "train.jsonl": {
        None: 7001,
        "no_equations": 95,
        "answer_not_in_chain": 364,
        "answer_from_earlier_step": 13,
    },
    "test.jsonl": {None: 1208, "no_equations": 18, "answer_not_in_chain": 93},
}


def raw_rows(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (GSM8K / name).read_text(encoding="utf-8").splitlines()]


@needs_data
def test_splits_follow_the_zero_based_validation_indices() -> None:
    train, validation, test = (load_gsm8k(GSM8K, split) for split in ("train", "validation", "test"))
    assert (len(train), len(validation), len(test)) == (6973, 500, 1319)
    lines = [int(line) for line in (GSM8K / "icot_valid_indices.txt").read_text().split()]
    assert validation["id"] == [f"gsm8k-train-{line}" for line in lines]
    rows = raw_rows("train.jsonl")
    assert validation["question"] == [rows[line]["question"].strip() for line in lines]
    assert not set(train["id"]) & set(validation["id"])
    assert set(test["source"]) == {"gsm8k"}


@needs_data
@pytest.mark.parametrize("name", sorted(CHAIN_CHECKS))
def test_equation_targets_parse_and_reexecute_except_the_counted_inconsistencies(name: str) -> None:
    split = "test" if name == "test.jsonl" else "train"
    records = list(load_gsm8k(GSM8K, split))
    if split == "train":
        records += list(load_gsm8k(GSM8K, "validation"))
        records.sort(key=lambda record: int(record["id"].rsplit("-", 1)[1]))
    reasons = Counter()
    for row, record in zip(raw_rows(name), records, strict=True):
        steps, answer = split_target(record["target"])
        assert steps == extract_steps(row["answer"])
        assert answer == record["answer"] == row["answer"].split("####")[1].strip().replace(",", "")
        reasons[check_chain(steps, answer)] += 1
    assert dict(reasons) == CHAIN_CHECKS[name]


@needs_data
def test_final_target_is_the_answer_without_thousands_separators() -> None:
    test = load_gsm8k(GSM8K, "test", target="final")
    assert test["target"] == test["answer"]
    assert not any("," in answer for answer in test["answer"])
    assert load_gsm8k(GSM8K, "train")[0]["target"] == "<<48/2=24>> <<48+24=72>> #### 72"


def test_evaluate_is_exact_and_refuses_anything_but_arithmetic() -> None:
    assert evaluate(".1+.2") == Fraction(3, 10)
    assert evaluate("+3*(4-1)//2") == 4
    assert evaluate("05*2") == 10
    for bad in ("__import__('os')", "2**3", "x+1", "1/0", "3 if 1 else 2", "[1]"):
        with pytest.raises(ValueError, match="cannot evaluate"):
            evaluate(bad)


def test_check_chain_names_each_failure() -> None:
    assert check_chain(["48/2=24", "48+24=72"], "72") is None
    assert check_chain([], "5") == "no_equations"
    assert check_chain(["2+2"], "4") == "unparseable_step"
    assert check_chain(["2+2=5"], "5") == "wrong_step_result"
    assert check_chain(["2+2=4", "4*3=12"], "4") == "answer_from_earlier_step"
    assert check_chain(["2+2=4"], "7") == "answer_not_in_chain"
    assert format_number(Fraction(1, 8)) == "0.125" and format_number(Fraction(-30)) == "-30"
    assert target_text("equations", [], "5") == "#### 5"


def test_running_target_lists_every_step_result_and_keeps_the_answer_readable() -> None:
    steps = ["48/2=24", "48+24=72", "72*3-200=16"]
    assert target_text("running", steps, "16") == "24 72 #### 16"
    assert target_text("running", steps[:1], "24") == "#### 24"
    assert extract_final_answer(target_text("running", steps, "16")) == 16
    with pytest.raises(ValueError, match="target kind must be one of"):
        target_text("scratchpad", steps, "16")


@pytest.fixture()
def gsm8k_folder(tmp_path: Path):
    """A GSM8K-shaped folder whose `train.jsonl` is written by the test."""

    def write(train_lines: list[str]) -> Path:
        (tmp_path / "train.jsonl").write_text("\n".join(train_lines) + "\n", encoding="utf-8")
        (tmp_path / "test.jsonl").write_text(train_lines[0] + "\n", encoding="utf-8")
        (tmp_path / "icot_valid_indices.txt").write_text("0\n", encoding="utf-8")
        return tmp_path

    return write


GOOD = json.dumps({"question": "What is 2+3?", "answer": "2+3=<<2+3=5>>5\n#### 5"})


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ('{"question": "What is 2+3?", "answer": ', "malformed JSON"),
        (json.dumps({"question": "What is 2+3?"}), "field 'answer'"),
        (json.dumps({"question": "What is 2+3?", "answer": "It is 5."}), "no '####'"),
        (json.dumps({"question": "What is 2+3?", "answer": "#### five"}), "not a number"),
        (json.dumps(["a list"]), "expected a JSON object"),
    ],
)
def test_bad_line_is_an_error_naming_file_and_line(gsm8k_folder, bad_line: str, message: str) -> None:
    folder = gsm8k_folder([GOOD, GOOD, bad_line, GOOD])
    with pytest.raises(ValueError, match=rf"train\.jsonl:3: .*{message}"):
        load_gsm8k(folder, "train")


def test_skip_invalid_skips_and_logs_the_count(gsm8k_folder, caplog) -> None:
    folder = gsm8k_folder([GOOD, "not json", GOOD, json.dumps({"answer": "#### 1"}), GOOD])
    with caplog.at_level(logging.WARNING, logger="training.data.gsm8k"):
        train = load_gsm8k(folder, "train", skip_invalid=True)
    assert train["id"] == ["gsm8k-train-2", "gsm8k-train-4"]  # line 0 is the validation problem
    assert "skipped 2 invalid lines" in caplog.text and "train.jsonl:2" in caplog.text


def test_validation_indices_file_must_hold_line_numbers(gsm8k_folder) -> None:
    folder = gsm8k_folder([GOOD, GOOD])
    (folder / "icot_valid_indices.txt").write_text("0\nfirst\n")
    with pytest.raises(ValueError, match=r"icot_valid_indices\.txt:2"):
        load_gsm8k(folder, "validation")


@needs_data
def test_svamp_has_1000_problems_whose_chains_give_the_answer_but_two() -> None:
    svamp = load_svamp(SVAMP, target="final")
    assert len(svamp) == 1000 and svamp["target"] == svamp["answer"]
    reasons = Counter(check_chain(*split_target(equations)) for equations in svamp["equations"])
    # chal-555 has no operation ("8.0"), chal-680's equation gives 5 for the answer 1, and
    # chal-998 divides 55 by 15 on the way (no finite decimal): their `equations` are "#### answer".
    assert reasons == {None: 997, "no_equations": 3}
    assert equation_steps("( ( 3.0 + 4.0 ) * 2.0 )") == ["3+4=7", "7*2=14"]


def test_svamp_item_without_a_field_names_file_and_item(tmp_path: Path) -> None:
    item = {"ID": "x-1", "Body": "Ann has 3 pens.", "Question": "How many?", "Equation": "3.0", "Answer": 3.0}
    (tmp_path / "SVAMP.json").write_text(json.dumps([item, {k: v for k, v in item.items() if k != "Body"}]))
    with pytest.raises(ValueError, match=r"SVAMP\.json: item 1"):
        load_svamp(tmp_path)
