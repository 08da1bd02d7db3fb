"""Timing on a shared machine: interleaved repeats, matmul peaks, the matmul share of a step."""

from __future__ import annotations

import functools
import time

import torch

from .settings import Step, bf16_supported, dtype_name

# Profiler names of the kernels a train step cannot do without: matmuls and fused attention.
MATMUL_KERNELS = ("aten::mm", "aten::bmm", "aten::addmm", "aten::baddbmm", "mkldnn::_linear_pointwise")
ATTENTION_KERNEL_PREFIX = "aten::_scaled_dot_product"


def timed(fn: Step, device: str) -> float:
    """Seconds one call of `fn` takes, with the device synchronised around it."""
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def time_interleaved(
    steps: dict[str, Step], repeats: int, warmup: int, device: str
) -> dict[str, list[float]]:
    """Time each step `repeats` times, round-robin, reversing the order every other round.

    Returns:
        `dict[str, list[float]]`: seconds per call, per contestant.
    """
    for step in steps.values():
        for _ in range(warmup):
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for repeat in range(repeats):
        order = list(steps) if repeat % 2 == 0 else list(reversed(steps))
        for name in order:
            times[name].append(timed(steps[name], device))
    return times


def measure_matmul_peaks(size: int, device: str, repeats: int) -> dict[str, float]:
    """Best GFLOP/s of a `size`^3 matmul (2 * size^3 FLOPs) in fp32 and, where supported, bf16,
    timed interleaved after a warm-up; keys are dtype names."""
    dtypes = [torch.float32] + ([torch.bfloat16] if bf16_supported(device) else [])
    matmuls = {}
    for dtype in dtypes:
        a = torch.randn(size, size, device=device).to(dtype)
        b = torch.randn(size, size, device=device).to(dtype)
        matmuls[dtype_name(dtype)] = functools.partial(torch.matmul, a, b)
    times = time_interleaved(matmuls, repeats, 1, device)
    return {name: 2 * size**3 / min(seconds) / 1e9 for name, seconds in times.items()}


def matmul_ms(step: Step) -> float:
    """Milliseconds one call of `step` spends in matmul and fused-attention kernels (CPU profiler).

    Self times, so a matmul called from another op counts once; the kernels are long enough that
    the profiler's per-op overhead hardly touches them.
    """
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        step()
    kernels = [
        event
        for event in profile.key_averages()
        if event.key in MATMUL_KERNELS or event.key.startswith(ATTENTION_KERNEL_PREFIX)
    ]
    return sum(event.self_cpu_time_total for event in kernels) / 1000
