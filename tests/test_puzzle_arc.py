"""ARC datasets: invertible augmentations, canvas encoding, no ARC-1/ARC-2 leakage, voting, errors."""

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from modeling_trm import IGNORE_INDEX
from training.data.puzzles.arc import (
    ArcAugmentation,
    ArcConfig,
    build_arc,
    decode_arc_grid,
    encode_arc_grid,
    load_arc_tasks,
)
from training.data.puzzles.arc_eval import evaluate_arc, load_test_tasks

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TRAINING_IDS = ["007bbfb7", "00d62c1b", "017c7c7b"]
EVALUATION_IDS = ["00576224", "009d5c81", "00dbd492"]


def read(subset: str) -> dict:
    return json.loads((DATA / f"{subset}.json").read_text())


@pytest.fixture(scope="module")
def mini_dir(tmp_path_factory):
    """A tiny data folder: three real ARC-AGI-1 training tasks and three evaluation tasks."""
    root = tmp_path_factory.mktemp("arc")
    (root / "mini").mkdir()
    training, evaluation = read("arc-agi-1/training"), read("arc-agi-1/evaluation")
    (root / "mini" / "training.json").write_text(json.dumps({t: training[t] for t in TRAINING_IDS}))
    (root / "mini" / "evaluation.json").write_text(json.dumps({t: evaluation[t] for t in EVALUATION_IDS}))
    return root


def mini_config(mini_dir, **overrides) -> ArcConfig:
    options = dict(
        data_dir=str(mini_dir), training=["mini/training"], evaluation="mini/evaluation", num_aug=3
    )
    return ArcConfig(**(options | overrides))


@pytest.fixture(scope="module")
def built(mini_dir):
    return build_arc(mini_config(mini_dir))


def test_augmentation_then_inverse_is_identity_for_all_dihedral_and_colour_perms():
    rng = np.random.default_rng(0)
    grid = rng.integers(0, 10, size=(3, 5)).astype(np.int8)
    perms = [rng.permutation(9) + 1 for _ in range(25)] + [np.arange(1, 10)]
    for dihedral, perm in itertools.product(range(8), perms):
        augmentation = ArcAugmentation(dihedral, (0, *perm.tolist()))
        augmented = augmentation.apply(grid)
        assert augmented.shape == (grid.shape[::-1] if dihedral in (1, 3, 6, 7) else grid.shape)
        assert ((augmented == 0).sum()) == (grid == 0).sum(), "background stays colour 0"
        assert np.array_equal(augmentation.invert(augmented), grid)
        assert ArcAugmentation.from_string(augmentation.to_string()) == augmentation
    assert len({ArcAugmentation(d, (0, *range(1, 10))).apply(grid).tobytes() for d in range(8)}) == 8


def test_canvas_encoding_round_trips_and_marks_the_border():
    for shape in ((1, 1), (3, 7), (30, 30), (30, 4), (12, 30)):
        grid = np.random.default_rng(1).integers(0, 10, size=shape).astype(np.int8)
        tokens = encode_arc_grid(grid)
        assert np.array_equal(decode_arc_grid(tokens), grid)
        canvas = tokens.reshape(30, 30)
        rows, cols = shape
        if rows < 30:
            assert (canvas[rows, :cols] == 1).all()
        if cols < 30:
            assert (canvas[:rows, cols] == 1).all()
        assert set(np.unique(canvas[:rows, :cols])) <= set(range(2, 12))
    shifted = encode_arc_grid(np.ones((2, 2), np.int8), offset=(5, 7)).reshape(30, 30)
    assert (shifted[5:7, 7:9] == 3).all() and (shifted[7, 7:9] == 1).all() and (shifted[5:7, 9] == 1).all()
    assert decode_arc_grid(np.zeros(900, np.int8)).shape == (0, 0)


def test_splits_follow_the_reference_layout(built):
    train, test = built.splits["train"], built.splits["test"]
    training, evaluation = read("arc-agi-1/training"), read("arc-agi-1/evaluation")
    versions = 4  # identity + num_aug 3
    expected_train = sum(len(training[t]["train"]) + len(training[t]["test"]) for t in TRAINING_IDS)
    expected_train += sum(len(evaluation[t]["train"]) for t in EVALUATION_IDS)
    assert len(train) == versions * expected_train
    assert len(test) == versions * sum(len(evaluation[t]["test"]) for t in EVALUATION_IDS)
    assert set(test["group"]) == set(EVALUATION_IDS)
    # An evaluation task version shares its identifier between its demonstrations and its test inputs.
    train_ids = {
        (g, a): i
        for g, a, i in zip(train["group"], train["augmentation"], train["puzzle_identifier"], strict=True)
    }
    for group, aug, identifier in zip(
        test["group"], test["augmentation"], test["puzzle_identifier"], strict=True
    ):
        assert train_ids[(group, aug)] == identifier
    identifiers = set(train["puzzle_identifier"])
    assert 0 not in identifiers and len(identifiers) == versions * 6
    assert built.metadata.num_puzzle_identifiers == max(identifiers) + 1
    assert (built.metadata.vocab_size, built.metadata.seq_len) == (12, 900)
    labels = np.asarray(test["labels"])
    inputs = np.asarray(test["inputs"])
    assert ((labels == IGNORE_INDEX) | (labels >= 1)).all() and (inputs >= 0).all()


def test_test_rows_invert_to_the_original_pairs(built):
    test = built.splits["test"]
    evaluation = read("arc-agi-1/evaluation")
    for row in test:
        augmentation = ArcAugmentation.from_string(row["augmentation"])
        pair = evaluation[row["group"]]["test"][row["pair_index"]]
        assert augmentation.invert(decode_arc_grid(np.asarray(row["inputs"]))).tolist() == pair["input"]
        label = np.where(np.asarray(row["labels"]) == IGNORE_INDEX, 0, row["labels"])
        assert augmentation.invert(decode_arc_grid(label)).tolist() == pair["output"]


def test_no_leakage_between_arc_agi_1_evaluation_and_arc_agi_2_training():
    evaluation_1 = set(read("arc-agi-1/evaluation"))
    built = build_arc(ArcConfig(data_dir=str(DATA), training=["arc-agi-2/training"], num_aug=0))
    train = built.splits["train"]
    from_arc2 = {g for g, s in zip(train["group"], train["source"], strict=True) if s == "arc-agi-2/training"}
    assert from_arc2 and not from_arc2 & evaluation_1
    assert built.metadata.stats["dropped_same_id_as_evaluation"] == 376
    # The evaluation tasks themselves are only seen through their demonstrations.
    assert {s for g, s in zip(train["group"], train["source"], strict=True) if g in evaluation_1} == {
        "arc-agi-1/evaluation"
    }

    evaluation_2 = set(read("arc-agi-2/evaluation"))
    built = build_arc(
        ArcConfig(version="arc-agi-2", data_dir=str(DATA), training=["arc-agi-1/evaluation"], num_aug=0)
    )
    train = built.splits["train"]
    from_arc1 = {
        g for g, s in zip(train["group"], train["source"], strict=True) if s == "arc-agi-1/evaluation"
    }
    assert len(from_arc1) == 400 - 6 and not from_arc1 & evaluation_2


def test_training_task_holding_an_evaluation_test_pair_is_dropped():
    built = build_arc(ArcConfig(data_dir=str(DATA), training=["arc-agi-1/training"], num_aug=0))
    assert "40853293" not in set(built.splits["train"]["group"])  # holds 070dd51e's test pair
    assert built.metadata.stats["dropped_evaluation_test_pair"] == 1


def test_evaluator_votes_over_inverted_augmentations(built, tmp_path):
    built.save(tmp_path / "arc")
    test = built.splits["test"]
    test_tasks = load_test_tasks(tmp_path / "arc")
    perfect = np.where(np.asarray(test["labels"]) == IGNORE_INDEX, 0, test["labels"])
    result = evaluate_arc(perfect, test, test_tasks)
    assert result["pass@1"] == result["pass@2"] == 1.0 and result["num_tasks"] == 3

    # Task 00576224: three of four versions agree on a wrong grid -> top-1 wrong, the answer is 2nd.
    predictions = perfect.copy()
    wrong = np.full((2, 2), 5, np.int8)
    rows = [i for i, g in enumerate(test["group"]) if g == "00576224"][:3]
    for i in rows:
        predictions[i] = encode_arc_grid(ArcAugmentation.from_string(test[i]["augmentation"]).apply(wrong))
    result = evaluate_arc(predictions, test, test_tasks)
    assert result["per_task"]["00576224"]["pass@1"] == 0.0
    assert result["per_task"]["00576224"]["pass@2"] == 1.0
    assert result["per_task"]["00576224"]["attempts"][0][0] == wrong.tolist()
    assert result["pass@1"] == pytest.approx(2 / 3)

    # Empty predictions are not voted for; a task with none left fails.
    predictions[[i for i, g in enumerate(test["group"]) if g == "009d5c81"]] = 0
    result = evaluate_arc(predictions, test, test_tasks)
    assert result["per_task"]["009d5c81"]["pass@2"] == 0.0 and result["num_empty_predictions"] == 4


def test_build_is_deterministic_for_a_seed(built, mini_dir):
    again = build_arc(mini_config(mini_dir))
    other = build_arc(mini_config(mini_dir, seed=1))
    for split in ("train", "test"):
        assert again.splits[split].to_dict() == built.splits[split].to_dict()
    assert list(other.splits["train"]["augmentation"]) != list(built.splits["train"]["augmentation"])


def write_task(tmp_path: Path, task: dict) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"abc123": task}))
    return path


def test_bad_tasks_name_file_task_and_pair(tmp_path):
    pair = {"input": [[1, 2], [3, 4]], "output": [[0]]}
    with pytest.raises(ValueError, match=r"bad\.json: task 'abc123' has no test pair"):
        load_arc_tasks(write_task(tmp_path, {"train": [pair], "test": []}), "x")
    with pytest.raises(ValueError, match=r"task 'abc123', train pair 0: row 1 holds 10"):
        load_arc_tasks(
            write_task(tmp_path, {"train": [{"input": [[1], [10]], "output": [[0]]}], "test": [pair]}), "x"
        )
    with pytest.raises(ValueError, match=r"test pair 0: row 1 has 1 cells, row 0 has 2"):
        load_arc_tasks(
            write_task(tmp_path, {"train": [pair], "test": [{"input": [[1, 2], [3]], "output": [[0]]}]}), "x"
        )
    with pytest.raises(ValueError, match=r"grid is 1x31"):
        load_arc_tasks(
            write_task(tmp_path, {"train": [pair], "test": [{"input": [[0] * 31], "output": [[0]]}]}), "x"
        )
    with pytest.raises(ValueError, match=r"needs 'input' and 'output'"):
        load_arc_tasks(write_task(tmp_path, {"train": [pair], "test": [{"input": [[0]]}]}), "x")
    (tmp_path / "broken.json").write_text('{"a":\n[}')
    with pytest.raises(ValueError, match=r"broken\.json:2: invalid JSON"):
        load_arc_tasks(tmp_path / "broken.json", "x")


def test_config_rejects_evaluating_on_a_training_subset():
    with pytest.raises(ValueError, match="also listed in training"):
        ArcConfig(training=["arc-agi-1/evaluation"])
