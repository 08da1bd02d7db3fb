"""`examples/run_experiment.py`: an experiment file's variants trained, evaluated and tabled, puzzles too."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from training.data.puzzles.maze import MazeConfig, build_maze

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "examples"))

import run_experiment  # noqa: E402

TINY_MAZE_MODEL = [
    "--hidden_size", 16, "--num_heads", 2, "--H_cycles", 1, "--L_cycles", 1, "--halt_max_steps", 2,
    "--max_steps", 2, "--per_device_train_batch_size", 8, "--use_cpu", "true",
]  # fmt: skip


@pytest.fixture(scope="module")
def maze_experiment(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 5x5 maze set and an experiment file training a TRM and its single-pass twin on it."""
    root = tmp_path_factory.mktemp("experiment")
    dataset = build_maze(MazeConfig(size=5, num_train=4, num_test=3, min_path_length=3)).save(root / "maze5")
    experiment = {
        "task": "puzzles",
        "config": "training/configs/maze_cpu.yaml",
        "seeds": [0],
        "metric": "exact_accuracy",
        "extra_metrics": ["exact_accuracy_all_steps"],
        "baseline": "single_pass",
        "evaluate": ["--dataset_dir", str(dataset)],
        "variants": {
            "trm": {"overrides": ["--dataset_dir", str(dataset), *TINY_MAZE_MODEL]},
            "single_pass": {
                "overrides": ["--dataset_dir", str(dataset), *TINY_MAZE_MODEL, "--single_pass", "true"]
            },
        },
    }  # fmt: skip
    path = root / "maze.yaml"
    path.write_text(yaml.safe_dump(experiment, sort_keys=False))
    return path, root / "runs"


def test_a_puzzle_experiment_trains_evaluates_and_tables_every_variant(maze_experiment) -> None:
    path, out = maze_experiment
    run_experiment.main([str(path), "--out", str(out)])
    results = json.loads((out / "results.json").read_text())["variants"]
    assert list(results) == ["trm", "single_pass"]
    for variant, row in results.items():
        assert row["optimizer_steps"] == [2]
        (evaluation,) = row["evaluations"].values()
        assert 0.0 <= evaluation["exact_accuracy"][0] <= 1.0
        assert 0.0 <= evaluation["exact_accuracy_all_steps"][0] <= 1.0
        assert len(evaluation["exact_accuracy_per_step"][0]) == (1 if variant == "single_pass" else 2)
        assert (out / f"{variant}_seed0" / "eval" / "refinement_curve.png").is_file()
    table = (out / "results.md").read_text()
    assert "maze5/test exact_accuracy" in table and "| trm |" in table and "| single_pass |" in table


def test_an_unknown_task_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    experiment = {"task": "chess", "config": "x.yaml", "metric": "m", "variants": {"a": {}}}
    path.write_text(yaml.safe_dump(experiment))
    with pytest.raises(ValueError, match=r"bad\.yaml: `task` must be one of"):
        run_experiment.load_experiment(path)
