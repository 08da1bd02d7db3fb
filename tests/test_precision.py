"""`bf16_auto`: bf16 autocast only where the hardware runs bf16 matmuls faster than fp32 ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from training import precision
from training.arguments import parse_arguments


@pytest.fixture(autouse=True)
def private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every test probes into its own cache folder."""
    monkeypatch.setenv(precision.CACHE_ENV, str(tmp_path))
    return tmp_path / "precision.json"


def fake_probe(monkeypatch: pytest.MonkeyPatch, bf16_faster: bool) -> list[int]:
    """Replace the timed probe by a fixed answer; returns a list that grows by one per probe run."""
    calls = []

    def probe() -> dict:
        calls.append(1)
        return {
            "fp32_gflops": 100.0,
            "bf16_gflops": 250.0 if bf16_faster else 50.0,
            "bf16_faster": bf16_faster,
        }

    monkeypatch.setattr(precision, "probe_cpu_precision", probe)
    return calls


def test_cpu_without_bf16_instructions_is_fp32_without_probing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx2"})
    calls = fake_probe(monkeypatch, bf16_faster=True)
    assert precision.bf16_is_faster("cpu") is False
    assert calls == []


@pytest.mark.parametrize("bf16_faster", [False, True])
@pytest.mark.parametrize("flags", [{"avx512_bf16"}, {"avx512_bf16", "amx_bf16"}])
def test_cpu_with_bf16_instructions_follows_the_probe(
    monkeypatch: pytest.MonkeyPatch, flags: set[str], bf16_faster: bool
) -> None:
    monkeypatch.setattr(precision, "cpu_flags", lambda: flags)
    fake_probe(monkeypatch, bf16_faster)
    assert precision.bf16_is_faster("cpu") is bf16_faster


def test_the_probe_runs_once_per_processor_torch_and_thread_count(
    monkeypatch: pytest.MonkeyPatch, private_cache: Path
) -> None:
    calls = fake_probe(monkeypatch, bf16_faster=True)
    first = precision.cpu_precision()
    assert precision.cpu_precision() == first and len(calls) == 1
    (entry,) = json.loads(private_cache.read_text())
    assert precision.cpu_name() in entry and torch.__version__ in entry
    monkeypatch.setattr(torch, "get_num_threads", lambda: 977)
    precision.cpu_precision()
    assert len(calls) == 2 and len(json.loads(private_cache.read_text())) == 2


def test_an_unreadable_cache_is_probed_again_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, private_cache: Path
) -> None:
    private_cache.write_text("{not json")
    calls = fake_probe(monkeypatch, bf16_faster=False)
    assert precision.cpu_precision()["bf16_faster"] is False
    assert len(calls) == 1
    assert json.loads(private_cache.read_text())  # rewritten


def test_the_probe_measures_both_dtypes_quickly() -> None:
    rates = precision.probe_cpu_precision()
    assert rates["fp32_gflops"] > 0 and rates["bf16_gflops"] > 0
    assert rates["bf16_faster"] is (rates["bf16_gflops"] > precision.BF16_MARGIN * rates["fp32_gflops"])


def test_cpu_flags_name_this_processors_features() -> None:
    flags = precision.cpu_flags()
    assert isinstance(flags, set) and all(isinstance(flag, str) for flag in flags)


@pytest.mark.parametrize("bf16_faster", [False, True])
def test_bf16_auto_sets_bf16_from_the_probe(monkeypatch: pytest.MonkeyPatch, bf16_faster: bool) -> None:
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx512_bf16"})
    fake_probe(monkeypatch, bf16_faster)
    _, _, training_args = parse_arguments(
        ["--output_dir", "unused", "--use_cpu", "true", "--bf16", str(not bf16_faster), "--bf16_auto", "true"]
    )
    assert training_args.bf16 is bf16_faster


def test_bf16_auto_on_a_cpu_without_use_cpu_runs_on_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    # A GPU config (no `use_cpu`) on a machine without a GPU whose CPU runs bf16 faster: transformers
    # refuses bf16 there unless the run is marked as a CPU run.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx512_bf16"})
    fake_probe(monkeypatch, True)
    _, _, training_args = parse_arguments(["--output_dir", "unused", "--bf16_auto", "true"])
    assert training_args.bf16 is True and training_args.use_cpu is True


def test_without_bf16_auto_bf16_is_as_given() -> None:
    _, _, training_args = parse_arguments(["--output_dir", "unused", "--use_cpu", "true", "--bf16", "false"])
    assert training_args.bf16 is False
