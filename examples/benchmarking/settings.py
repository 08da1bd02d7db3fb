"""What the benchmark measures and at which sizes, and the device it runs on."""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
TINY_CONFIG = str(REPO / "training" / "configs" / "tiny.yaml")
PEER_PACKAGE = "tiny-recursive-model"
TRAIN_CONTESTANTS = ("ours_attention", "ours_mlp", "peer_attention", "peer_mlp")
GENERATE_MODES = {"act": True, "all_steps": False}

Step = Callable[[], None]


@dataclass
class BenchSettings:
    """What to measure and at which sizes (the defaults are the paper's Sudoku setting on CPU)."""

    device: str = "cpu"
    bf16: bool = False
    compile: bool = False
    other_precision: bool = False
    hidden_size: int = 512
    num_heads: int = 8
    num_layers: int = 2
    H_cycles: int = 3
    L_cycles: int = 6
    answer_length: int = 40
    max_question_length: int = 40
    vocab_size: int = 11
    batch_size: int = 64
    repeats: int = 5
    warmup: int = 1
    matmul_size: int = 4096
    memory_steps: int = 2
    config: str = TINY_CONFIG
    model: str | None = None
    train_steps: int | None = None
    eval_batch_size: int = 64
    max_eval_examples: int | None = None
    eval_skip_examples: int = 0
    puzzle_dataset: str | None = None
    halt_threshold: float | None = None
    quick: bool = False

    @property
    def sequence_length(self) -> int:
        """Positions per sequence: one summary slot, the answer slots, the question tokens."""
        return 1 + self.answer_length + self.max_question_length


def cpu_info() -> dict[str, str]:
    """The first processor's fields from the Linux cpuinfo table (empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields = {}
    for line in text.split("\n\n")[0].splitlines():
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def bf16_supported(device: str) -> bool:
    """Whether bf16 matmuls run natively: GPUs that say so, CPUs with AVX512-BF16 or AMX."""
    if device == "cuda":
        return torch.cuda.is_bf16_supported()
    flags = cpu_info().get("flags", "").split()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def describe_device(device: str) -> str:
    """One line naming the processor and the threads torch uses."""
    if device == "cuda":
        return f"{torch.cuda.get_device_name()} (CUDA {torch.version.cuda})"
    name = cpu_info().get("model name") or platform.processor() or "unknown CPU"
    capability = torch.backends.cpu.get_cpu_capability()
    return f"{name}, {torch.get_num_threads()} torch threads of {os.cpu_count()} cores, {capability}"


def precision_name(settings: BenchSettings) -> str:
    """`"bf16"` or `"fp32"`: the train steps' precision."""
    return "bf16" if settings.bf16 else "fp32"


def autocast(settings: BenchSettings) -> contextlib.AbstractContextManager:
    """bf16 autocast on the benchmark device, or nothing."""
    return torch.autocast(settings.device, dtype=torch.bfloat16, enabled=settings.bf16)


def dtype_name(dtype: torch.dtype) -> str:
    """`"float32"` for `torch.float32`, and so on."""
    return str(dtype).removeprefix("torch.")
