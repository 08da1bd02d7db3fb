"""examples/attention_kernels.py: both kernels timed on every shape and dtype, and the table says which."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_script():
    path = REPO / "examples" / "attention_kernels.py"
    spec = importlib.util.spec_from_file_location("attention_kernels", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compares_both_kernels_in_fp32_and_bf16() -> None:
    script = load_script()
    rows = script.compare_kernels({"tiny, padded": (2, 2, 12, 8, True)}, repeats=1, device="cpu")
    assert [row["dtype"] for row in rows] == ["float32", "bfloat16"]
    for row in rows:
        assert row["sdpa_ms"] > 0 and row["eager_ms"] > 0
        assert row["sdpa_over_eager"] == row["sdpa_ms"] / row["eager_ms"]
    table = script.format_table(rows)
    assert "| tiny, padded | bfloat16 |" in table
