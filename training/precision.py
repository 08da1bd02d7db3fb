"""Which precision runs TRM fastest on a device: bf16 autocast only where bf16 matmuls beat fp32."""

from __future__ import annotations

from pathlib import Path

import torch


def cpu_flags() -> set[str]:
    """The processor's feature flags as torch sees them (the Linux cpuinfo flags where torch is older)."""
    get_capabilities = getattr(torch.cpu, "get_capabilities", None)
    if get_capabilities is not None:
        return {name for name, present in get_capabilities().items() if present is True}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def bf16_is_faster(device_type: str) -> bool:
    """Whether bf16 autocast makes TRM faster than fp32 on `device_type` (`"cuda"` or `"cpu"`).

    True on CUDA GPUs with bf16 and on CPUs with AMX-BF16 tile units. CPUs with AVX512-BF16 alone
    run bf16 matmuls slower than fp32 ones (`examples/benchmark.py` measures both peaks), so there
    fp32 is the fast path.
    """
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "cpu":
        return "amx_bf16" in cpu_flags()
    return False
