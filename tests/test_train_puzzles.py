"""The puzzle training entry point end to end on a tiny 4x4 Sudoku set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transformers import AutoModel

from modeling_trm import TRMForPuzzles
from training.data.puzzles import SudokuConfig, build_sudoku
from training.train_puzzles import main

CONFIG = Path(__file__).resolve().parents[1] / "training" / "configs" / "sudoku6_cpu.yaml"


def test_train_puzzles_runs_from_the_cpu_config_and_saves_a_loadable_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    generate = TRMForPuzzles.generate

    def recording_generate(self, *args, **kwargs):
        calls.append(kwargs.get("use_act"))
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(TRMForPuzzles, "generate", recording_generate)
    data = build_sudoku(SudokuConfig(grid_size=4, num_train=8, num_aug=2, num_test=8, extra_clues=1))
    data.save(tmp_path / "sudoku4")
    output = tmp_path / "run"
    main(
        [
            "--config",
            str(CONFIG),
            "--dataset_dir",
            str(tmp_path / "sudoku4"),
            "--output_dir",
            str(output),
            "--max_steps",
            "3",
            "--per_device_train_batch_size",
            "4",
            "--hidden_size",
            "32",
            "--bf16",
            "false",
            "--disable_tqdm",
            "true",
            "--eval_use_act",
            "false",
        ]
    )
    assert calls and not any(calls), "evaluation should run every grid for all steps"
    eval_metrics = json.loads((output / "eval_results.json").read_text())
    assert 0.0 <= eval_metrics["eval_exact_accuracy"] <= eval_metrics["eval_token_accuracy"] <= 1.0
    info = json.loads((output / "training_info.json").read_text())
    assert info["num_train_examples"] == 24 and info["dataset"] == "sudoku"
    model = AutoModel.from_pretrained(output)
    assert type(model) is TRMForPuzzles and model.config.seq_len == 16 and model.config.vocab_size == 6
