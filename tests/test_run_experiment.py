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


def grouped_row(per_group: list[dict | None]) -> dict:
    """A `summarise` row holding only what the group table and plot read: one evaluation's groups."""
    return {"evaluations": {"chains/test": {"per_group": per_group}}}


def test_groups_are_tabled_and_plotted_per_variant_as_the_mean_over_seeds(tmp_path: Path) -> None:
    table = {
        "trm": grouped_row([
            {"2": {"exact_match": 1.0}, "10": {"exact_match": 0.5}},
            {"2": {"exact_match": 0.8}, "10": {"exact_match": 0.3}},
        ]),
        "single_pass": grouped_row([
            {"2": {"exact_match": 0.6}, "10": {"exact_match": 0.0}},
            {"2": {"exact_match": 0.4}},  # this seed has no group "10": the mean would hide it
        ]),
    }  # fmt: skip
    groups, means = run_experiment.group_means(table, "chains/test", "exact_match")
    assert groups == ["2", "10"]
    assert means["trm"] == pytest.approx({"2": 0.9, "10": 0.4})
    assert means["single_pass"] == pytest.approx({"2": 0.5})
    lines = run_experiment.group_table(table, "chains/test", "exact_match")
    assert lines[-2:] == ["| trm | 90.0 | 40.0 |", "| single_pass | 50.0 |  |"]
    (plot,) = run_experiment.plot_groups(table, "exact_match", tmp_path)
    assert plot == tmp_path / "chains_test_by_group.png" and plot.stat().st_size > 0


def test_the_group_table_shows_the_group_metric_where_it_differs_from_the_main_one() -> None:
    row = grouped_row([{"1": {"accuracy": 0.5}, "2": {"accuracy": 0.25}}])
    row["evaluations"]["chains/test"].update(mean_halt_steps=[1.0], accuracy_over_all_records=[0.3])
    row.update(seeds=[0], parameters=1e6, optimizer_steps=[10], examples_seen=[320], train_seconds=[60])
    report = run_experiment.markdown({"trm": row}, ["accuracy_over_all_records"], None, None, "accuracy")
    assert "| trm | 1.00M | 1 | 10 | 320 | 1.0 | 30.0 % | 1.00 |" in report
    assert report.splitlines()[-5:] == [
        "chains/test, accuracy by group (mean over seeds):",
        "",
        "| variant | 1 | 2 |",
        "|---|---|---|",
        "| trm | 50.0 | 25.0 |",
    ]


def test_an_ungrouped_evaluation_has_no_group_table_or_plot(tmp_path: Path) -> None:
    table = {"trm": grouped_row([None])}
    assert run_experiment.group_table(table, "chains/test", "exact_match") == []
    assert run_experiment.plot_groups(table, "exact_match", tmp_path) == []


def _means(parsed: object, written: str) -> bool:
    """Whether a parsed argument holds the value written on the command line (numbers, flags, enums)."""
    parsed = getattr(parsed, "value", parsed)  # an enum, e.g. `IntervalStrategy.STEPS`
    try:
        return float(parsed) == float(written)
    except (TypeError, ValueError):
        return str(parsed).lower() == written.lower()


@pytest.mark.parametrize(
    "path", sorted((REPO / "examples" / "experiments").glob("*.yaml")), ids=lambda path: path.stem
)
def test_every_shipped_experiment_loads_and_its_variants_parse(path: Path, tmp_path: Path) -> None:
    experiment = run_experiment.load_experiment(path)
    parse = run_experiment.TASKS[experiment["task"]].parse
    for name, spec in experiment["variants"].items():
        overrides = [str(value) for value in spec.get("overrides", [])]
        argv = ["--config", str(REPO / experiment["config"]), "--output_dir", str(tmp_path / name)]
        parsed = parse([*argv, *overrides])  # a misspelt override flag is an error here
        for flag, value in zip(overrides[::2], overrides[1::2], strict=True):
            field = flag.removeprefix("--")
            landed = [getattr(arguments, field) for arguments in parsed if hasattr(arguments, field)]
            assert landed and _means(landed[0], value), (name, flag, landed)
