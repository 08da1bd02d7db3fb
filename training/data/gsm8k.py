"""GSM8K as `datasets.Dataset`s of records: train / validation (the Implicit-CoT split) / test.

A record has `id`, `question` (stripped), `equations` (`"<<48/2=24>> <<48+24=72>> #### 72"`: every
calculator annotation of the solution, joined by one space, as in Implicit-CoT), `answer` (`"72"`,
thousands separators removed), `target` (the model's target text, `answer` or `equations`) and
`source` (`"gsm8k"`). `test.jsonl` is for evaluation only.

Every line of a local file is validated before `datasets` reads it, so that a malformed line is an
error naming the file and line (datasets' JSON reader names neither), or with `skip_invalid=True` a
logged count; nothing is dropped silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
from transformers.utils import logging

from modeling_trm.calculator import ANSWER_SEPARATOR, chain_text, extract_steps, parse_number

from .equations import target_text

logger = logging.get_logger(__name__)

DEFAULT_GSM8K_PATH = "../shared/data/gsm8k"
SPLITS = ("train", "validation", "test")
# 0-based line numbers into train.jsonl (see the data folder's README), in Implicit-CoT's valid.txt order.
VALID_INDICES_FILE = "icot_valid_indices.txt"
HUB_CONFIG = "main"


def _check_row(row: Any, where: str) -> None:
    """Raise a `ValueError` starting with `where` unless `row` is a usable GSM8K row."""
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(row).__name__}")
    for field in ("question", "answer"):
        if not isinstance(row.get(field), str) or not row[field].strip():
            raise ValueError(f"{where}: missing, empty or non-string field {field!r}")
    if ANSWER_SEPARATOR not in row["answer"]:
        raise ValueError(f"{where}: the answer has no {ANSWER_SEPARATOR!r} final-answer line")
    final = row["answer"].rsplit(ANSWER_SEPARATOR, 1)[1]
    try:
        parse_number(final)
    except ValueError as error:
        raise ValueError(f"{where}: the final answer {final.strip()!r} is not a number") from error


def _read_jsonl(path: Path, skip_invalid: bool) -> datasets.Dataset:
    """Validate every line of a GSM8K JSON Lines file, then load it; adds the 0-based `line` column."""
    valid_rows, errors = [], []
    with path.open(encoding="utf-8") as handle:
        for line, text in enumerate(handle):
            where = f"{path}:{line + 1}"
            try:
                try:
                    row = json.loads(text)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{where}: malformed JSON ({error.msg})") from error
                _check_row(row, where)
            except ValueError as error:
                if not skip_invalid:
                    raise
                errors.append(str(error))
                continue
            valid_rows.append({"question": row["question"], "answer": row["answer"], "line": line})
    if not valid_rows:
        invalid = f" ({len(errors)} invalid; first: {errors[0]})" if errors else ""
        raise ValueError(f"{path}: no rows{invalid}")
    if not errors:
        dataset = datasets.load_dataset("json", data_files=str(path), split="train")
        return dataset.select_columns(["question", "answer"]).add_column("line", list(range(len(dataset))))
    # datasets' JSON reader cannot skip a bad line, so the checked rows are used as they are.
    logger.warning(f"{path}: skipped {len(errors)} invalid lines (skip_invalid=True); first: {errors[0]}")
    return datasets.Dataset.from_list(valid_rows)


def _read_hub(repo_id: str, split: str, skip_invalid: bool) -> datasets.Dataset:
    """Load a GSM8K split from the Hub (`openai/gsm8k`), checking rows as for local files."""
    try:
        dataset = datasets.load_dataset(repo_id, HUB_CONFIG, split=split)
    except OSError as error:  # also datasets' not-found and connection errors
        raise ValueError(f"{repo_id}: no GSM8K folder here, and no Hub dataset loads ({error})") from error
    dataset = dataset.select_columns(["question", "answer"]).add_column("line", list(range(len(dataset))))
    invalid = []
    for row in dataset:
        try:
            _check_row(row, f"{repo_id} ({split}) row {row['line']}")
        except ValueError:
            if not skip_invalid:
                raise
            invalid.append(row["line"])
    if invalid:
        logger.warning(f"{repo_id} ({split}): skipped {len(invalid)} invalid rows (skip_invalid=True).")
        skipped = set(invalid)
        dataset = dataset.filter(lambda line: line not in skipped, input_columns="line")
    return dataset


def _to_record(row: dict[str, Any], prefix: str, target: str) -> dict[str, str]:
    steps = extract_steps(row["answer"])
    answer = row["answer"].rsplit(ANSWER_SEPARATOR, 1)[1].strip().replace(",", "")
    return {
        "id": f"{prefix}-{row['line']}",
        "question": row["question"].strip(),
        "equations": chain_text(steps, answer),
        "answer": answer,
        "target": target_text(target, steps, answer),
        "source": "gsm8k",
    }


def read_validation_lines(path: str | Path) -> list[int]:
    """The validation problems' 0-based line numbers into `train.jsonl` (`icot_valid_indices.txt`).

    Raises:
        `ValueError`: Naming the file and line of an entry that is not a non-negative integer.
    """
    path = Path(path)
    lines = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip().isdigit():
            raise ValueError(f"{path}:{number}: expected a 0-based line number, got {text!r}")
        lines.append(int(text))
    return lines


def load_gsm8k(
    path: str | Path = DEFAULT_GSM8K_PATH,
    split: str = "train",
    target: str = "equations",
    skip_invalid: bool = False,
    valid_indices_path: str | Path | None = None,
) -> datasets.Dataset:
    """GSM8K records of one split.

    Args:
        path (`str | Path`, defaults to `"../shared/data/gsm8k"`): A folder holding `train.jsonl`,
            `test.jsonl` and `icot_valid_indices.txt`, or a Hub id such as `"openai/gsm8k"`.
        split (`str`, defaults to `"train"`): `"train"` (train.jsonl without the validation problems),
            `"validation"` (the 500 problems of `icot_valid_indices.txt`) or `"test"`.
        target (`str`, defaults to `"equations"`): `"final"` or `"equations"`, the text put in `target`.
        skip_invalid (`bool`, defaults to `False`): Skip and count bad rows instead of raising.
        valid_indices_path (`str | Path`, *optional*): The validation line numbers; defaults to the
            folder's `icot_valid_indices.txt`, and must be given with a Hub id (except for `"test"`).

    Returns:
        `datasets.Dataset` with columns `id`, `question`, `equations`, `answer`, `target`, `source`.

    Raises:
        `ValueError`: On an unknown split or target, or a bad row (naming file and line).
    """
    if split not in SPLITS:
        raise ValueError(f"GSM8K split must be one of {SPLITS}, got {split!r}")
    file_split = "test" if split == "test" else "train"
    folder = Path(path)
    if folder.is_dir():
        rows = _read_jsonl(folder / f"{file_split}.jsonl", skip_invalid)
        valid_indices_path = valid_indices_path or folder / VALID_INDICES_FILE
    else:
        rows = _read_hub(str(path), file_split, skip_invalid)
    if split != "test":
        if valid_indices_path is None:
            raise ValueError(f"GSM8K from the Hub ({path}) needs `valid_indices_path` for the {split} split")
        validation = read_validation_lines(valid_indices_path)
    if split == "validation":
        position = {line: i for i, line in enumerate(rows["line"])}
        rows = rows.select([position[line] for line in validation if line in position])
    elif split == "train":
        held_out = set(validation)
        rows = rows.filter(lambda line: line not in held_out, input_columns="line")
    return rows.map(
        _to_record,
        fn_kwargs={"prefix": f"gsm8k-{file_split}", "target": target},
        remove_columns=rows.column_names,
        desc=f"GSM8K {split} records",
    )
