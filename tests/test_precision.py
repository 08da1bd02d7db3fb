"""`bf16_auto`: bf16 autocast only where the hardware runs bf16 matmuls faster than fp32 ones."""

from __future__ import annotations

import pytest

from training import precision
from training.arguments import parse_arguments


@pytest.mark.parametrize(
    ("flags", "expected"), [({"avx512_bf16"}, False), ({"avx512_bf16", "amx_bf16"}, True)]
)
def test_cpu_bf16_only_with_amx(monkeypatch: pytest.MonkeyPatch, flags: set[str], expected: bool) -> None:
    monkeypatch.setattr(precision, "cpu_flags", lambda: flags)
    assert precision.bf16_is_faster("cpu") is expected


def test_cpu_flags_name_this_processors_features() -> None:
    flags = precision.cpu_flags()
    assert isinstance(flags, set) and all(isinstance(flag, str) for flag in flags)


@pytest.mark.parametrize("amx", [False, True])
def test_bf16_auto_sets_bf16_from_the_hardware(monkeypatch: pytest.MonkeyPatch, amx: bool) -> None:
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"amx_bf16"} if amx else set())
    _, _, training_args = parse_arguments(
        ["--output_dir", "unused", "--use_cpu", "true", "--bf16", str(not amx), "--bf16_auto", "true"]
    )
    assert training_args.bf16 is amx


def test_without_bf16_auto_bf16_is_as_given() -> None:
    _, _, training_args = parse_arguments(["--output_dir", "unused", "--use_cpu", "true", "--bf16", "false"])
    assert training_args.bf16 is False
