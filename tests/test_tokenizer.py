"""The BPE tokenizer: the committed default on every GSM8K question, and the training CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from tokenization import DEFAULT_TOKENIZER_PATH
from tokenization.train_tokenizer import SPECIAL_TOKENS, train_tokenizer

REPO = Path(__file__).resolve().parents[1]
GSM8K = REPO.parent / "shared" / "data" / "gsm8k"
DIGITS = "0123456789"
needs_gsm8k = pytest.mark.skipif(not GSM8K.is_dir(), reason=f"GSM8K not found at {GSM8K}")


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(DEFAULT_TOKENIZER_PATH)


@pytest.fixture(scope="module")
def gsm8k_questions() -> list[str]:
    """Every GSM8K question as written in the files (train and test)."""
    return [
        json.loads(line)["question"]
        for name in ("train.jsonl", "test.jsonl")
        for line in (GSM8K / name).read_text(encoding="utf-8").splitlines()
    ]


def test_default_tokenizer_loads_with_its_special_tokens(tokenizer) -> None:
    assert len(tokenizer) == 4096
    assert [tokenizer.pad_token, tokenizer.unk_token, tokenizer.eos_token] == ["<pad>", "<unk>", "<eos>"]
    assert tokenizer.convert_tokens_to_ids(list(SPECIAL_TOKENS)) == [0, 1, 2, 3]
    assert "<answer>" in tokenizer.all_special_tokens
    assert tokenizer("<answer>", add_special_tokens=False)["input_ids"] == [3]


@needs_gsm8k
def test_decode_inverts_encode_for_every_gsm8k_question(tokenizer, gsm8k_questions) -> None:
    encoded = tokenizer(gsm8k_questions, add_special_tokens=False)["input_ids"]
    decoded = tokenizer.batch_decode(encoded)
    mismatches = [q for q, d in zip(gsm8k_questions, decoded, strict=True) if q != d]
    assert len(gsm8k_questions) == 7473 + 1319
    assert mismatches == []


@needs_gsm8k
def test_every_digit_is_its_own_token(tokenizer, gsm8k_questions) -> None:
    for ids in tokenizer(gsm8k_questions, add_special_tokens=False)["input_ids"]:
        for token in tokenizer.convert_ids_to_tokens(ids):
            # Byte-level tokens spell bytes >= 128 with characters such as "³", so test ASCII digits.
            assert not any(c in DIGITS for c in token) or token in DIGITS, token
    tokens = tokenizer.tokenize("It costs $1,234.50 and 48 more.")
    assert [t for t in tokens if t in DIGITS] == list("12345048")


def test_trained_tokenizer_round_trips_and_splits_digits(tmp_path: Path) -> None:
    texts = ["Natalia sold 48 clips in April.", "<<48/2=24>> <<48+24=72>> #### 72"] * 50
    trained = train_tokenizer(iter(texts), vocab_size=300)
    trained.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    text = "  Weng earns $12 an hour; 1024 cents?\n"
    ids = reloaded(text, add_special_tokens=False)["input_ids"]
    assert reloaded.decode(ids) == text
    assert [t for t in reloaded.convert_ids_to_tokens(ids) if any(c in DIGITS for c in t)] == list("121024")
    assert reloaded.eos_token_id == 2 and reloaded.pad_token_id == 0


@needs_gsm8k
def test_cli_saves_a_tokenizer_that_auto_tokenizer_loads(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "tokenization.train_tokenizer",
        "--data",
        str(GSM8K),
        "--vocab-size",
        "512",
    ]
    result = subprocess.run([*command, "--out", str(tmp_path)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert len(reloaded) == 512
    assert reloaded.convert_tokens_to_ids(list(SPECIAL_TOKENS)) == [0, 1, 2, 3]
