"""Which precision runs TRM fastest on a device: bf16 autocast only where bf16 matmuls beat fp32.

On a GPU with bf16 the answer is yes. On a CPU it depends on the machine (AMX tiles make bf16 about
twice as fast as fp32; AVX512-BF16 alone has measured anywhere from half to twice the fp32 rate), so
it is measured: a probe times one matmul of TRM's feed-forward shape in both dtypes (well under a
second) and the answer is cached per processor, torch version and thread count.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import torch
from transformers.utils import logging

logger = logging.get_logger(__name__)

# rows x hidden @ hidden x 3*hidden: the SwiGLU up-projection of a batch of tokens at the paper's width.
PROBE_SHAPE = (512, 512, 1536)
PROBE_REPEATS = 5
PROBE_SECONDS = 0.2  # per dtype, after the warm-up matmul
# bf16 must beat fp32 by this factor to be chosen (the casts around the matmuls cost something).
BF16_MARGIN = 1.1
CACHE_ENV = "TRM_MATH_CACHE"


def cpu_flags() -> set[str]:
    """The processor's feature flags as torch sees them (the Linux cpuinfo flags where torch is older)."""
    get_capabilities = getattr(torch.cpu, "get_capabilities", None)
    if get_capabilities is not None:
        return {name for name, present in get_capabilities().items() if present is True}
    for line in _cpuinfo_lines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def cpu_name() -> str:
    """The processor's model name (`"unknown"` where the system does not say)."""
    for line in _cpuinfo_lines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return "unknown"


def _cpuinfo_lines() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def matmul_gflops(
    dtype: torch.dtype, shape: tuple[int, int, int] = PROBE_SHAPE, repeats: int = PROBE_REPEATS
) -> float:
    """The best rate, in GFLOP/s, of up to `repeats` CPU matmuls `[m, k] @ [k, n]` in `dtype` after a
    warm-up one, stopping early once they took `PROBE_SECONDS` (a dtype emulated in software is slow)."""
    m, k, n = shape
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=generator).to(dtype)
    b = torch.randn(k, n, generator=generator).to(dtype)
    torch.matmul(a, b)
    best, spent = float("inf"), 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        torch.matmul(a, b)
        seconds = time.perf_counter() - start
        best, spent = min(best, seconds), spent + seconds
        if spent > PROBE_SECONDS:
            break
    return 2 * m * k * n / best / 1e9


def probe_cpu_precision() -> dict[str, float | bool]:
    """Time fp32 and bf16 matmuls now: both rates (GFLOP/s) and whether bf16 is the faster by the margin."""
    fp32 = matmul_gflops(torch.float32)
    bf16 = matmul_gflops(torch.bfloat16)
    return {"fp32_gflops": fp32, "bf16_gflops": bf16, "bf16_faster": bf16 > BF16_MARGIN * fp32}


def cache_path() -> Path:
    """`$TRM_MATH_CACHE/precision.json`, by default under `$XDG_CACHE_HOME` (or `~/.cache`)/trm_math."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "trm_math"
    return Path(os.environ.get(CACHE_ENV, default)) / "precision.json"


def cpu_precision() -> dict[str, float | bool]:
    """This machine's probe result, from the cache when this processor, torch and thread count were
    probed before (a cache that cannot be read or written is ignored: the probe runs again)."""
    key = f"{cpu_name()} | torch {torch.__version__} | {torch.get_num_threads()} threads"
    path = cache_path()
    try:
        cache = json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError) as error:
        logger.warning(f"Ignoring the precision cache {path} ({error}); probing again.")
        cache = {}
    if isinstance(cache, dict) and isinstance(cache.get(key), dict) and "bf16_faster" in cache[key]:
        return cache[key]
    result = probe_cpu_precision()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**(cache if isinstance(cache, dict) else {}), key: result}, indent=2))
    except OSError as error:
        logger.warning(f"Could not write the precision cache {path} ({error}).")
    return result


def bf16_is_faster(device_type: str) -> bool:
    """Whether bf16 autocast makes TRM faster than fp32 on `device_type` (`"cuda"` or `"cpu"`).

    True on CUDA GPUs with bf16. On a CPU without bf16 instructions (neither AVX512-BF16 nor AMX)
    false; on one with them, measured by `cpu_precision` (cached).
    """
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "cpu":
        if not cpu_flags() & {"avx512_bf16", "amx_bf16"}:
            return False
        return bool(cpu_precision()["bf16_faster"])
    return False
