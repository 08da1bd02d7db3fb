"""`examples/benchmark.py` at tiny sizes: every reported number exists and is finite, the FLOP count
matches a hand count, and a missing peer package is reported as missing instead of failing the run."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import benchmark  # examples/ is on pytest's `pythonpath` (pyproject.toml)
import pytest
from benchmarking.inference import (
    ACT_AGREEMENT,
    MIN_INFERENCE_REPEATS,
    benchmark_inference,
    load_eval_batches,
)
from benchmarking.report import format_report
from benchmarking.settings import BenchSettings
from benchmarking.train_steps import peer_train_step, useful_flops_per_train_step
from tiny_models import save_tiny_sudoku

from modeling_trm import TRMConfig

REPO = Path(__file__).resolve().parents[1]


TINY = BenchSettings(
    hidden_size=64,
    num_heads=4,
    H_cycles=2,
    L_cycles=2,
    answer_length=8,
    max_question_length=8,
    batch_size=4,
    repeats=2,
    matmul_size=128,
    memory_steps=1,
    train_steps=2,
    max_eval_examples=16,
    other_precision=True,
)


def is_positive(value: float | None) -> bool:
    return isinstance(value, float) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A whole benchmark run at tiny sizes with the peer made unimportable, read back from its JSON."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "tiny_recursive_model", None)
        result = benchmark.run_benchmark(TINY)
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    path.write_text(json.dumps(result))
    return json.loads(path.read_text())


def test_flop_count_matches_a_hand_count() -> None:
    config = TRMConfig(
        vocab_size=11,
        hidden_size=64,
        num_heads=4,
        H_cycles=3,
        L_cycles=6,
        answer_length=40,
        max_question_length=40,
    )
    d, s, width = 64, 81, 256  # SwiGLU width round(4 * 64 * 2 / 3) = 171, rounded up to 256
    block = (4 * s * d * d + 2 * s * s * d) + 3 * s * d * width
    net, head = 2 * block, 40 * d * 11
    forward_all, forward_last = 2 * (3 * 7 * net + head), 2 * (7 * net + head)
    assert useful_flops_per_train_step(config, batch_size=2) == 2 * (forward_all + 2 * forward_last)


def test_missing_peer_is_reported_as_missing(report: dict) -> None:
    train = report["train_step"]
    assert train["speedup_vs_fastest_peer"] is None
    assert train["speedup_ceiling_vs_fastest_peer"] is None
    for name in ("peer_attention", "peer_mlp"):
        assert train["contestants"][name]["status"] == "missing"
        assert train["contestants"][name]["median_ms"] is None
    assert train["contestants"]["ours_attention"]["speedup_vs_peer_same_mixer"] is None


def test_train_step_numbers_are_finite_and_positive(report: dict) -> None:
    train = report["train_step"]
    peak = report["matmul_peak"]
    assert is_positive(peak["gflops"]) and peak["gflops"] == peak["gflops_by_dtype"][peak["dtype"]]
    assert peak["gflops"] == max(peak["gflops_by_dtype"].values())  # fractions are of the faster dtype
    assert "float32" in peak["gflops_by_dtype"] and peak["train_dtype"] in peak["gflops_by_dtype"]
    assert is_positive(train["fraction_of_matmul_peak"])
    for name in ("ours_attention", "ours_mlp"):
        entry = train["contestants"][name]
        assert entry["status"] == "measured" and len(entry["times_ms"]) == TINY.repeats
        for key in ("median_ms", "examples_steps_per_s", "useful_gflop_per_step", "fraction_of_matmul_peak"):
            assert is_positive(entry[key]), (name, key, entry[key])
        assert is_positive(entry["memory"]["peak_mib"]) and entry["memory"]["delta_mib"] >= 0
        # The profiled step's matmuls take part of a step (a profiled call may run a little slower).
        assert is_positive(entry["matmul_ms"]) and 0 < entry["matmul_share"] < 1.5
        assert math.isclose(entry["matmul_share"], entry["matmul_ms"] / entry["median_ms"])


def test_other_precision_is_timed_in_the_same_run(report: dict) -> None:
    other = report["train_step"]["other_precision"]
    assert other["precision"] == ("fp32" if TINY.bf16 else "bf16")
    for mixer in ("attention", "mlp"):
        entry = other[f"ours_{mixer}"]
        assert len(entry["times_ms"]) == TINY.repeats and is_positive(entry["speedup_of_chosen"])
        chosen = report["train_step"]["contestants"][f"ours_{mixer}"]["median_ms"]
        assert math.isclose(entry["speedup_of_chosen"], entry["median_ms"] / chosen)


def test_inference_reports_act_speedup_and_accuracy_delta(report: dict) -> None:
    inference = report["inference"]
    assert inference["num_examples"] == TINY.max_eval_examples
    assert is_positive(inference["act_speedup"])
    assert -1.0 <= inference["accuracy_delta"] <= 1.0
    assert inference["score"] == "string_exact_match"  # math answers compare as decoded strings
    for mode in ("act", "all_steps"):
        entry = inference[mode]
        assert len(entry["times_s"]) == max(TINY.repeats, MIN_INFERENCE_REPEATS)
        assert entry["best_s"] == min(entry["times_s"]) and entry["spread"] >= 1.0
        assert math.isclose(entry["examples_per_s"], inference["num_examples"] / entry["best_s"])
        assert 1 <= entry["mean_steps"] <= inference["max_supervision_steps"]
        assert is_positive(inference["memory"][mode]["peak_mib"])
    from_steps = inference["all_steps"]["mean_steps"] / inference["act"]["mean_steps"]
    assert math.isclose(inference["act_speedup_from_steps"], from_steps)
    low, high = ACT_AGREEMENT
    assert inference["act_speedup_agrees"] is (low <= inference["act_speedup"] / from_steps <= high)
    # Without ACT every row runs all N_sup steps.
    assert inference["all_steps"]["mean_steps"] == inference["max_supervision_steps"]


def test_inference_on_a_puzzle_model_scores_whole_grids_at_a_halt_threshold(tmp_path: Path) -> None:
    dataset_dir, model_dir = save_tiny_sudoku(tmp_path)  # halting logits start at -5
    settings = BenchSettings(
        model=str(model_dir), puzzle_dataset=str(dataset_dir), eval_skip_examples=2,
        halt_threshold=-6.0, repeats=1, warmup=0,
    )  # fmt: skip
    inference = benchmark_inference(settings)
    assert inference["num_examples"] == 6 and inference["halt_threshold"] == -6.0
    assert inference["act"]["mean_steps"] == 1.0 and inference["all_steps"]["mean_steps"] == 3.0
    assert inference["score"] == "exact_accuracy"  # whole grids, not decoded strings
    assert 0.0 <= inference["act"]["exact_accuracy"] <= 1.0 and is_positive(inference["act_speedup"])
    with pytest.raises(ValueError, match="eval_skip_examples 8: the test split has 8 rows"):
        load_eval_batches(dataclasses.replace(settings, eval_skip_examples=8))


def test_report_records_device_versions_and_settings(report: dict) -> None:
    assert report["device"] and report["torch_version"] and report["peer"] == "missing"
    assert report["settings"]["sequence_length"] == 1 + TINY.answer_length + TINY.max_question_length
    table = format_report(report)
    assert "peer_attention" in table and "missing" in table and "act_speedup" in table


def test_peer_adapter_runs_a_train_step_when_installed() -> None:
    pytest.importorskip("tiny_recursive_model")
    pytest.importorskip("x_transformers")
    for mixer in ("attention", "mlp"):
        peer_train_step(TINY, mixer)()


def test_quick_command_line_run_measures_ours_and_names_a_missing_peer(tmp_path: Path) -> None:
    """`--quick` as CI runs it: full-size train steps at batch 8, the shipped model's ACT inference."""
    command = [sys.executable, "examples/benchmark.py", "--quick", "--model", "hub_cards/trm-math"]
    command += ["--config", "training/configs/word_problems_cpu.yaml", "--max_eval_examples", "300"]
    command += ["--json", str(tmp_path / "quick.json")]
    printed = subprocess.run(command, check=True, cwd=REPO, capture_output=True, text=True).stdout
    report = json.loads((tmp_path / "quick.json").read_text())
    assert report["settings"]["quick"] and report["settings"]["batch_size"] == 8
    assert is_positive(report["train_step"]["fraction_of_matmul_peak"])
    assert is_positive(report["inference"]["act_speedup"])
    assert 250 <= report["inference"]["num_examples"] <= 300  # of 300, less the few too long to read
    assert "act_speedup" in printed and "fraction of matmul peak" in printed
    if importlib.util.find_spec("tiny_recursive_model") is None:
        assert report["peer"] == "missing" and report["train_step"]["speedup_vs_fastest_peer"] is None
