"""`examples/gpu_speed_run.py`: every step of the prepared GPU run, end to end at toy sizes on CPU
(`--device cpu --tiny`), and its refusal to start without a GPU otherwise."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch

from modeling_trm import TRMForPuzzles
from modeling_trm.loading import load_saved_model

REPO = Path(__file__).resolve().parents[1]
TINY_BUDGET_MINUTES = 0.05


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The script as a module (it imports `benchmark` from its own folder, as when run)."""
    monkeypatch.syspath_prepend(str(REPO / "examples"))
    return importlib.import_module("gpu_speed_run")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DIR of one whole tiny run, started as a person would start it."""
    out = tmp_path_factory.mktemp("gpu_speed_run")
    command = [sys.executable, "examples/gpu_speed_run.py", "--out", str(out), "--device", "cpu", "--tiny"]
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "train min | opt. steps | exact acc." in completed.stdout
    return out


def test_the_sudoku_table_has_a_row_per_evaluation_until_the_budget_is_spent(run_dir: Path) -> None:
    report = json.loads((run_dir / "sudoku_speed.json").read_text())
    rows, metrics = report["rows"], report["train_metrics"]
    assert rows and report["train_minutes_budget"] == TINY_BUDGET_MINUTES
    for row in rows:
        assert 0.0 <= row["exact_accuracy"] <= row["token_accuracy"] <= 1.0
        assert row["train_minutes"] > 0 and row["eval_seconds"] > 0
    steps = [row["step"] for row in rows]
    assert steps == sorted(set(steps)) and steps[-1] == metrics["global_step"]
    assert (
        rows[-1]["train_minutes"] >= TINY_BUDGET_MINUTES and metrics["train_minutes"] >= TINY_BUDGET_MINUTES
    )
    assert metrics["eval_minutes"] > 0 and report["evaluation"]["num_puzzles"] == 8


def test_the_benchmark_report_and_the_run_log_are_complete(run_dir: Path) -> None:
    report = json.loads((run_dir / "benchmark.json").read_text())
    assert {"device", "settings", "matmul_peak", "train_step", "inference"} <= report.keys()
    assert report["train_step"]["contestants"]["ours_mlp"]["status"] == "measured"
    assert report["inference"]["num_examples"] == 16 and report["settings"]["model"].endswith("math_model")
    log = json.loads((run_dir / "gpu_speed_run.json").read_text())
    assert list(log["steps"]) == ["sudoku_data", "benchmark", "sudoku_training"]
    for step in log["steps"].values():
        assert "error" not in step and step["seconds"] > 0 and step["commands"]


def test_every_file_is_at_most_16_mb_and_the_model_loads(run_dir: Path) -> None:
    assert all(path.stat().st_size <= 16 * 10**6 for path in run_dir.rglob("*") if path.is_file())
    model = load_saved_model(run_dir / "sudoku_extreme", TRMForPuzzles)
    assert model.config.seq_len == 16


def test_the_training_budget_shrinks_to_what_the_run_has_left(script: types.ModuleType) -> None:
    assert script.training_budget(5.0, 9.0, 1.0) == 5.0
    assert script.training_budget(5.0, 9.0, 4.0) == pytest.approx(3.5)
    assert script.training_budget(5.0, 9.0, 8.0) == script.MIN_TRAIN_MINUTES


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
@pytest.mark.parametrize(
    ("argv", "message"),
    [([], "no CUDA device"), (["--device", "cpu"], "--device cpu needs --tiny")],
)
def test_without_a_gpu_only_a_tiny_run_starts(
    script: types.ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture, argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit):
        script.parse_args(["--out", str(tmp_path), *argv])
    assert message in capsys.readouterr().err
