"""Byte-level BPE tokenizer for trm-math, trained with `tokenizers` and loaded with `AutoTokenizer`."""

from pathlib import Path

DEFAULT_TOKENIZER_PATH: str = str(Path(__file__).resolve().parent / "trm-math-bpe")

__all__ = ["DEFAULT_TOKENIZER_PATH"]
