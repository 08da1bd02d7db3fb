"""The Mathematics Dataset: loading and validating its files, splits, module filters and subsets, and
per-module scores from `training.evaluate_model`."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import torch
import yaml
from transformers import AutoTokenizer

from modeling_trm import TRMConfig, TRMForMathQA
from tokenization import DEFAULT_TOKENIZER_PATH
from training.arguments import DataArguments
from training.data.mathematics_dataset import VALIDATION_PER_GROUP, load_mathematics, train_module
from training.evaluate_model import main as evaluate_model

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MATHEMATICS = DATA / "mathematics-dataset"
needs_data = pytest.mark.skipif(not MATHEMATICS.is_dir(), reason=f"no data at {MATHEMATICS}")

TRAIN_MODULES = (
    "arithmetic__add_or_sub",
    "arithmetic__add_sub_multiple",
    "arithmetic__div",
    "arithmetic__mixed",
    "arithmetic__mul",
    "arithmetic__mul_div_multiple",
)
EXTRAPOLATION_MODULES = {
    "arithmetic__add_or_sub_big": "arithmetic__add_or_sub",
    "arithmetic__add_sub_multiple_longer": "arithmetic__add_sub_multiple",
    "arithmetic__div_big": "arithmetic__div",
    "arithmetic__mixed_longer": "arithmetic__mixed",
    "arithmetic__mul_big": "arithmetic__mul",
    "arithmetic__mul_div_multiple_longer": "arithmetic__mul_div_multiple",
}


def row(split: str = "interpolate", **fields) -> dict:
    base = {"module": "arithmetic__mul", "split": split, "difficulty": "test", "question": "What is 2*3?"}
    return {**base, "answer": "6", **fields}


def write_jsonl(folder: Path, split: str, lines: list) -> Path:
    """Write `lines` (dicts as JSON, strings as they are) to `folder/<split>.jsonl`."""
    path = folder / f"{split}.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def write_train(folder: Path, per_group: int) -> None:
    """A train.jsonl ordered like the real one (by difficulty), two modules, `per_group` rows a group."""
    lines = [
        row("train", module=module, difficulty=difficulty, question=f"{module} {difficulty} {i}")
        for difficulty in ("easy", "medium", "hard")
        for module in ("arithmetic__div", "arithmetic__mul")
        for i in range(per_group)
    ]
    write_jsonl(folder, "train", lines)


@needs_data
def test_real_files_load_with_the_documented_counts() -> None:
    train, validation = load_mathematics(MATHEMATICS, "train"), load_mathematics(MATHEMATICS, "validation")
    held_out = 6 * 3 * VALIDATION_PER_GROUP
    assert (len(train), len(validation)) == (180_000 - held_out, held_out)
    assert not set(train["id"][:]) & set(validation["id"][:])
    assert Counter(zip(validation["module"][:], validation["difficulty"][:], strict=True)) == {
        (module, difficulty): VALIDATION_PER_GROUP
        for module in TRAIN_MODULES
        for difficulty in ("easy", "medium", "hard")
    }
    interpolate = load_mathematics(MATHEMATICS, "interpolate")
    extrapolate = load_mathematics(MATHEMATICS, "extrapolate")
    assert Counter(interpolate["module"][:]) == dict.fromkeys(TRAIN_MODULES, 2000)
    assert Counter(extrapolate["module"][:]) == dict.fromkeys(EXTRAPOLATION_MODULES, 2000)
    assert interpolate[0] == {
        "id": "mathematics-interpolate-0",
        "question": "Add -4.52853 and -0.09343.",
        "answer": "-4.62196",
        "target": "-4.62196",
        "source": "mathematics/arithmetic__add_or_sub",
        "module": "arithmetic__add_or_sub",
        "difficulty": "test",
    }
    assert interpolate["target"][:] == interpolate["answer"][:]


@pytest.mark.parametrize(
    "line, error",
    [
        ('{"module": "arithmetic__mul", "split": ', "malformed JSON"),
        ("", "malformed JSON"),
        ('["arithmetic__mul", "interpolate"]', "expected a JSON object, got list"),
        ({k: v for k, v in row().items() if k != "answer"}, "missing or non-string field 'answer'"),
        (row(answer=6), "missing or non-string field 'answer'"),
        (row(question="  "), "empty field 'question'"),
        (row(answer=""), "empty field 'answer'"),
        (row(split="valid"), "unknown split 'valid'"),
        (row(split="extrapolate"), "a row of split 'extrapolate' in the 'interpolate' file"),
        (row(difficulty="hard"), "difficulty 'hard'"),
    ],
    ids=[
        "truncated_json",
        "blank_line",
        "not_an_object",
        "missing_answer",
        "numeric_answer",
        "blank_question",
        "empty_answer",
        "unknown_split",
        "split_of_another_file",
        "training_difficulty_in_a_test_file",
    ],
)
def test_a_bad_line_is_an_error_naming_its_file_and_line(tmp_path: Path, line, error: str) -> None:
    path = write_jsonl(tmp_path, "interpolate", [row(), row(), line, row()])
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}:3: .*{re.escape(error)}"):
        load_mathematics(tmp_path, "interpolate")


def test_equations_target_is_refused_with_the_reason(tmp_path: Path) -> None:
    write_jsonl(tmp_path, "interpolate", [row()])
    with pytest.raises(ValueError, match="final answers only"):
        load_mathematics(tmp_path, "interpolate", target="equations")
    with pytest.raises(ValueError, match="final answers only"):
        DataArguments(dataset="mathematics", target="equations")


def test_extrapolation_modules_map_to_their_training_modules() -> None:
    assert {module: train_module(module) for module in EXTRAPOLATION_MODULES} == EXTRAPOLATION_MODULES
    assert [train_module(module) for module in TRAIN_MODULES] == list(TRAIN_MODULES)


def test_module_filter_keeps_named_modules_and_their_extrapolation_modules(tmp_path: Path) -> None:
    modules = ["arithmetic__mul_big", "arithmetic__div_big", "arithmetic__mixed_longer"]
    write_jsonl(tmp_path, "extrapolate", [row("extrapolate", module=module) for module in modules])
    kept = load_mathematics(tmp_path, "extrapolate", modules=["arithmetic__mul", "arithmetic__mixed_longer"])
    assert kept["module"] == ["arithmetic__mul_big", "arithmetic__mixed_longer"]
    assert load_mathematics(tmp_path, "extrapolate", modules=[])["module"] == modules
    with pytest.raises(ValueError, match=r"No 'extrapolate' module named \['arithmetic__add'\]"):
        load_mathematics(tmp_path, "extrapolate", modules=["arithmetic__mul", "arithmetic__add"])


def test_validation_rows_are_fixed_and_never_in_train(tmp_path: Path) -> None:
    write_train(tmp_path, per_group=VALIDATION_PER_GROUP + 10)
    train, validation = load_mathematics(tmp_path, "train"), load_mathematics(tmp_path, "validation")
    assert (len(train), len(validation)) == (6 * 10, 6 * VALIDATION_PER_GROUP)
    assert not set(train["id"]) & set(validation["id"])
    # A module filter selects among the same validation rows; it does not draw new ones.
    only_div = load_mathematics(tmp_path, "validation", modules=["arithmetic__div"])
    pairs = zip(validation["id"], validation["module"], strict=True)
    assert only_div["id"] == [i for i, module in pairs if module == "arithmetic__div"]


def test_max_examples_draws_evenly_per_module_and_difficulty_with_a_seed(tmp_path: Path) -> None:
    write_train(tmp_path, per_group=VALIDATION_PER_GROUP + 10)
    subset = load_mathematics(tmp_path, "train", max_examples=14)
    # 14 over 6 groups: 3 for the first two in sorted order, 2 for the others; never just the easy rows.
    assert Counter(zip(subset["module"], subset["difficulty"], strict=True)) == {
        ("arithmetic__div", "easy"): 3,
        ("arithmetic__div", "hard"): 3,
        ("arithmetic__div", "medium"): 2,
        ("arithmetic__mul", "easy"): 2,
        ("arithmetic__mul", "hard"): 2,
        ("arithmetic__mul", "medium"): 2,
    }
    lines = [int(i.rsplit("-", 1)[1]) for i in subset["id"]]
    assert lines == sorted(lines)
    assert load_mathematics(tmp_path, "train", max_examples=14)["id"] == subset["id"]
    assert load_mathematics(tmp_path, "train", max_examples=14, seed=1)["id"] != subset["id"]


@needs_data
def test_evaluate_model_reports_string_exact_match_per_module_on_both_test_splits(tmp_path: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(DEFAULT_TOKENIZER_PATH)
    torch.manual_seed(0)
    config = TRMConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_heads=4, H_cycles=1, L_cycles=1, halt_max_steps=2,
        max_question_length=80, answer_length=24, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    model_dir, out = tmp_path / "model", tmp_path / "eval"
    TRMForMathQA(config).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    config_file = tmp_path / "mathematics.yaml"
    config_file.write_text(
        yaml.safe_dump({"dataset": "mathematics", "target": "final", "mathematics_path": str(MATHEMATICS)})
    )
    evaluate_model(
        ["--model", str(model_dir), "--config", str(config_file), "--out", str(out), "--max_examples", "12"]
    )
    evaluations = json.loads((out / "eval_results.json").read_text())["evaluations"]
    assert [e["dataset"] for e in evaluations] == [
        {"name": "mathematics", "split": "interpolate"},
        {"name": "mathematics", "split": "extrapolate"},
    ]
    for evaluation, modules in zip(evaluations, (TRAIN_MODULES, EXTRAPOLATION_MODULES), strict=True):
        results = evaluation["results"]
        per_module = results["per_group"]
        assert sorted(per_module) == sorted(f"mathematics/{module}" for module in modules)
        assert all(scores["num_examples"] == 2 for scores in per_module.values())
        assert results["num_examples"] == 12 and 0 <= results["string_exact_match"] <= 1
        assert len(results["string_exact_match_per_step"]) == 2
