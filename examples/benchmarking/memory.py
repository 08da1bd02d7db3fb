"""Peak memory of each workload, measured in a fresh process of its own."""

from __future__ import annotations

import functools
import json
import resource
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import torch

from .inference import generate_pass, load_eval_batches
from .settings import GENERATE_MODES, TRAIN_CONTESTANTS, BenchSettings, Step
from .train_steps import build_train_step

BENCHMARK_SCRIPT = Path(__file__).resolve().parents[1] / "benchmark.py"  # runs `memory_probe` when asked


def build_workload(name: str, settings: BenchSettings) -> Step:
    """A train step (`TRAIN_CONTESTANTS`) or one `generate` pass over the held-out set (`GENERATE_MODES`)."""
    if name in TRAIN_CONTESTANTS:
        return build_train_step(name, settings)
    model, _, batches = load_eval_batches(settings)
    return functools.partial(generate_pass, model, batches, GENERATE_MODES[name], settings)


def reset_peak_rss() -> bool:
    """Lower the kernel's peak-RSS mark to the current RSS (Linux 4.0+); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    """The process's peak resident set: `VmHWM` on Linux (what `reset_peak_rss` lowers), else getrusage's.

    getrusage's max RSS also keeps the peak of threads that have exited, so it cannot be reset.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024  # kB


def memory_probe(name: str, settings: BenchSettings) -> dict:
    """Peak memory of `settings.memory_steps` calls of workload `name`, in this (fresh) process.

    Returns:
        `dict` with `metric` (what was read), `peak_mib` (the peak while the workload ran) and
        `delta_mib` (that peak minus the memory in use once the model and data were built).
    """
    workload = build_workload(name, settings)
    if settings.device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        for _ in range(settings.memory_steps):
            workload()
        peak = torch.cuda.max_memory_allocated()
        metric = "torch.cuda.max_memory_allocated"
    else:
        # Without the reset, the peak of importing and building would hide a smaller workload's.
        reset = reset_peak_rss()
        before = peak_rss_bytes()
        for _ in range(settings.memory_steps):
            workload()
        peak = peak_rss_bytes()
        metric = "peak RSS (VmHWM), reset after building" if reset else "peak RSS since process start"
    return {"metric": metric, "peak_mib": peak / 2**20, "delta_mib": (peak - before) / 2**20}


def measure_memory(names: list[str], settings: BenchSettings) -> dict[str, dict]:
    """Run `memory_probe` for each workload in its own subprocess, so that no peak leaks into another."""
    results = {}
    for name in names:
        command = [
            sys.executable,
            str(BENCHMARK_SCRIPT),
            "--memory_probe",
            name,
            "--settings",
            json.dumps(asdict(settings)),
        ]
        completed = subprocess.run(command, check=True, capture_output=True, text=True)
        results[name] = json.loads(completed.stdout.strip().splitlines()[-1])
    return results
