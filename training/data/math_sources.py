"""Readers of the math data sets on disk: GSM8K (train/validation/test) and SVAMP (evaluation only).

Every record has `question`, `equations` (`"<<48/2=24>> <<48+24=72>> #### 72"`), `answer` and
`source`. A malformed line is an error naming the file and line, or with `skip_invalid=True` a
logged count; nothing is dropped silently.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from transformers.utils import logging

logger = logging.get_logger(__name__)

CALCULATOR = re.compile(r"<<([^<>]*)>>")
VALID_INDICES_NAME = "icot_valid_indices.txt"


def _final_answer(answer_text: str) -> str:
    return answer_text.split("####")[-1].strip().replace(",", "")


def gsm8k_record(row: object, where: str) -> dict[str, str]:
    """One GSM8K row as a record; `where` ("file:line") names it in errors."""
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(row).__name__}.")
    for field in ("question", "answer"):
        if not isinstance(row.get(field), str):
            raise ValueError(f"{where}: missing or non-string field `{field}`.")
    if "####" not in row["answer"]:
        raise ValueError(f"{where}: the answer has no `####` final-answer line.")
    final = _final_answer(row["answer"])
    chain = " ".join(f"<<{step}>>" for step in CALCULATOR.findall(row["answer"]))
    return {
        "question": row["question"].strip(),
        "equations": f"{chain} #### {final}".strip(),
        "answer": final,
        "source": "gsm8k",
    }


def read_gsm8k_file(path: str | Path, skip_invalid: bool = False) -> list[dict[str, str]]:
    """Read a GSM8K jsonl file, validating every line."""
    records, invalid = [], 0
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            where = f"{path}:{number}"
            try:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{where}: malformed JSON ({error.msg}).") from error
                records.append(gsm8k_record(row, where))
            except ValueError:
                if not skip_invalid:
                    raise
                invalid += 1
    if invalid:
        logger.warning(f"{path}: skipped {invalid} invalid lines (skip_invalid=True).")
    return records


def load_gsm8k(folder: str | Path, split: str, skip_invalid: bool = False) -> list[dict[str, str]]:
    """GSM8K `train` (without the 500 validation problems), `validation` or `test` from a local folder."""
    folder = Path(folder)
    if split == "test":
        return read_gsm8k_file(folder / "test.jsonl", skip_invalid)
    rows = read_gsm8k_file(folder / "train.jsonl", skip_invalid)
    valid = [int(line) for line in (folder / VALID_INDICES_NAME).read_text().split()]
    if split == "validation":
        return [rows[i] for i in valid]
    if split == "train":
        held_out = set(valid)
        return [row for i, row in enumerate(rows) if i not in held_out]
    raise ValueError(f"GSM8K split must be train, validation or test, got {split!r}.")


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def load_svamp(folder: str | Path) -> list[dict[str, str]]:
    """SVAMP (evaluation only): question = Body + " " + Question, answer = Answer."""
    path = Path(folder) / "SVAMP.json"
    rows = json.loads(path.read_text(encoding="utf-8"))
    records = []
    for number, row in enumerate(rows):
        for field in ("Body", "Question", "Answer"):
            if field not in row:
                raise ValueError(f"{path}: item {number} has no `{field}`.")
        answer = _number_text(row["Answer"])
        records.append(
            {
                "question": f"{row['Body'].strip()} {row['Question'].strip()}",
                "equations": f"#### {answer}",
                "answer": answer,
                "source": "svamp",
            }
        )
    return records
