"""Which attention kernel is faster here: PyTorch's fused `scaled_dot_product_attention` ("sdpa") or
explicit matmuls with an fp32 softmax ("eager"), forward and backward, in fp32 and bf16, on our shapes.
The two kernels alternate within one run, so a shared machine slows them alike.

    python examples/attention_kernels.py [--repeats 15] [--json PATH]

The model runs "sdpa" except on a CPU in bf16, where this comparison found the fused kernel slower
(`TRMAttention`); the report says, per shape and dtype, how many times as long sdpa took as eager.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarking.timing import time_interleaved  # noqa: E402  (from this script's folder, first on `sys.path`)

from modeling_trm.configuration_trm import TRMConfig  # noqa: E402
from modeling_trm.modeling_trm import TRMAttention, eager_attention_forward  # noqa: E402

# name: (batch, heads, sequence, head_dim, whether the questions are padded, so a mask is passed)
SHAPES = {
    "benchmark --quick (Sudoku size, batch 8)": (8, 8, 81, 64, False),
    "benchmark full size (batch 64)": (64, 8, 81, 64, False),
    "word_problems_cpu.yaml (batch 32)": (32, 4, 97, 32, True),
}
KERNELS = {"sdpa": ALL_ATTENTION_FUNCTIONS["sdpa"], "eager": eager_attention_forward}


def kernel_step(kernel: str, shape: tuple[int, int, int, int, bool], dtype: torch.dtype, device: str):
    """One forward and backward of `kernel` on random inputs of `shape` (the mask hides the last 20 keys)."""
    batch, heads, seq_len, head_dim, masked = shape
    module = TRMAttention(TRMConfig(hidden_size=heads * head_dim, num_heads=heads))
    size = (batch, heads, seq_len, head_dim)
    query, key, value = (torch.randn(size, device=device, dtype=dtype, requires_grad=True) for _ in range(3))
    mask = None
    if masked:
        mask = torch.ones(batch, 1, 1, seq_len, dtype=torch.bool, device=device)
        mask[..., -20:] = False
    grad = torch.randn(batch, seq_len, heads, head_dim, device=device, dtype=dtype)

    def step() -> None:
        output, _ = KERNELS[kernel](module, query, key, value, mask, scaling=head_dim**-0.5, dropout=0.0)
        output.backward(grad)

    return step


def compare_kernels(shapes: dict, repeats: int, device: str) -> list[dict]:
    """Median ms of a forward and backward per kernel, and sdpa's time over eager's, per shape and dtype."""
    rows = []
    for name, shape in shapes.items():
        for dtype in (torch.float32, torch.bfloat16):
            steps = {kernel: kernel_step(kernel, shape, dtype, device) for kernel in KERNELS}
            times = time_interleaved(steps, repeats, warmup=2, device=device)
            ms = {kernel: 1000 * statistics.median(seconds) for kernel, seconds in times.items()}
            rows.append(
                {
                    "shape": name,
                    "dtype": str(dtype).removeprefix("torch."),
                    "sdpa_ms": ms["sdpa"],
                    "eager_ms": ms["eager"],
                    "sdpa_over_eager": ms["sdpa"] / ms["eager"],
                }
            )
    return rows


def format_table(rows: list[dict]) -> str:
    lines = ["| shape | dtype | sdpa ms | eager ms | sdpa / eager |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['shape']} | {row['dtype']} | {row['sdpa_ms']:.2f} | {row['eager_ms']:.2f} "
            f"| {row['sdpa_over_eager']:.2f}× |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="Timed calls per kernel (median reported).")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, help="Also write the rows here.")
    args = parser.parse_args(argv)
    rows = compare_kernels(SHAPES, args.repeats, args.device)
    print(f"{torch.get_num_threads()} threads, torch {torch.__version__}, device {args.device}")
    print(format_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
