"""The puzzle evaluation CLI on a tiny 4x4 Sudoku set: ACT and per-step grid accuracy, halting, plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_models import save_tiny_sudoku

from modeling_trm import TRMForPuzzles, TRMPuzzleConfig
from training.data.puzzles.arc import ArcConfig, build_arc
from training.data.puzzles.common import load_puzzle_dataset
from training.evaluate_puzzles import main


def test_cli_writes_act_and_per_step_results_and_plots(tmp_path: Path) -> None:
    dataset_dir, model_dir = save_tiny_sudoku(tmp_path)
    out = tmp_path / "eval"
    main(["--model", str(model_dir), "--dataset_dir", str(dataset_dir), "--out", str(out)])

    report = json.loads((out / "eval_results.json").read_text())
    results = report["results"]
    assert results["num_examples"] == 8 and report["split"] == "test"
    assert len(results["exact_accuracy_per_step"]) == len(results["token_accuracy_per_step"]) == 3
    assert results["exact_accuracy_all_steps"] == results["exact_accuracy_per_step"][-1]
    assert sum(results["halt_step_histogram"].values()) == 8 and 1 <= results["mean_halt_steps"] <= 3
    assert 0 <= results["exact_accuracy"] <= results["token_accuracy"] <= 1
    assert (out / "refinement_curve.png").stat().st_size > 0 and (out / "halting_histogram.png").exists()


def test_cli_evaluates_a_slice_of_the_split_at_a_halt_threshold(tmp_path: Path) -> None:
    dataset_dir, model_dir = save_tiny_sudoku(tmp_path)  # halting logits start at -5
    out = tmp_path / "eval"
    argv = ["--model", str(model_dir), "--dataset_dir", str(dataset_dir), "--out", str(out)]
    main(argv + ["--skip_examples", "2", "--max_examples", "4", "--halt_threshold", "-6"])

    report = json.loads((out / "eval_results.json").read_text())
    assert report["rows"] == [2, 6] and report["halt_threshold"] == -6.0
    assert report["results"]["num_examples"] == 4 and report["results"]["mean_halt_steps"] == 1.0
    with pytest.raises(ValueError, match="skip_examples 8: the test split has 8 rows"):
        main(argv + ["--skip_examples", "8"])


ARC_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arc-agi-1"


@pytest.mark.skipif(not ARC_DATA.is_dir(), reason=f"ARC-AGI-1 not found at {ARC_DATA}")
def test_arc_test_split_adds_voted_pass_at_k(tmp_path: Path) -> None:
    subsets = {"training": ["007bbfb7"], "evaluation": ["00576224", "009d5c81"]}
    (tmp_path / "mini").mkdir()
    for subset, ids in subsets.items():
        tasks = json.loads((ARC_DATA / f"{subset}.json").read_text())
        (tmp_path / "mini" / f"{subset}.json").write_text(json.dumps({t: tasks[t] for t in ids}))
    config = ArcConfig(
        data_dir=str(tmp_path), training=["mini/training"], evaluation="mini/evaluation", num_aug=1
    )
    build_arc(config).save(tmp_path / "arc")
    _, metadata = load_puzzle_dataset(tmp_path / "arc")
    config = TRMPuzzleConfig(
        seq_len=metadata.seq_len, vocab_size=metadata.vocab_size,
        num_puzzle_identifiers=metadata.num_puzzle_identifiers, hidden_size=16, num_heads=2,
        H_cycles=1, L_cycles=1, halt_max_steps=1, puzzle_emb_len=1,
    )  # fmt: skip
    TRMForPuzzles(config).save_pretrained(tmp_path / "model")
    out = tmp_path / "eval"
    main(["--model", str(tmp_path / "model"), "--dataset_dir", str(tmp_path / "arc"), "--out", str(out)])

    arc = json.loads((out / "eval_results.json").read_text())["results"]["arc"]
    assert arc["num_tasks"] == 2 and 0 <= arc["pass@1"] <= arc["pass@2"] <= 1
