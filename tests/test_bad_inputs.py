"""Bad input at every entry point: a clear error naming the file or field, a non-zero exit, and nothing
written that looks like a finished run (no model, results, card or report left behind).

One row per entry point and case: an unknown YAML key, a value of the wrong type, a data folder that
does not exist, a tokenizer (or puzzle vocabulary) that does not fit the model, a truncated
`model.safetensors`, a resume from a checkpoint of another config, an empty data set. Rows marked
`subprocess` run the entry point as a command, started together (the package's import costs seconds
per process); the others call its `main` in this process, where an uncaught `ValueError` or `OSError`
is what makes the interpreter exit 1.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from datasets import DatasetDict, load_from_disk
from tiny_models import save_tiny_sudoku
from transformers import AutoTokenizer

from modeling_trm import TRMConfig, TRMForMathQA, TRMForPuzzles, TRMPuzzleConfig

REPO = Path(__file__).resolve().parents[1]
TINY_YAML = REPO / "training" / "configs" / "tiny.yaml"
SHIPPED_CARD = REPO / "hub_cards" / "trm-math"
COMMANDS = {
    "train": ["training/train.py"],
    "train_puzzles": ["training/train_puzzles.py"],
    "evaluate_model": ["-m", "training.evaluate_model"],
    "evaluate_puzzles": ["-m", "training.evaluate_puzzles"],
    "publish": ["-m", "hub_cards.publish"],
    "benchmark": ["examples/benchmark.py"],
}
# Small runs of the training entry points, should a bad input get through.
TRAIN = ["--config", str(TINY_YAML), "--output_dir", "{out}/run", "--max_steps", "1"]
TRAIN += ["--num_train_examples", "64", "--num_eval_examples", "16", "--disable_tqdm", "true"]
TRAIN_PUZZLES = ["--output_dir", "{out}/run", "--hidden_size", "32", "--num_heads", "4", "--max_steps", "1"]
TRAIN_PUZZLES += ["--do_train", "true", "--use_cpu", "true", "--report_to", "none", "--disable_tqdm", "true"]
EVALUATE = ["--config", str(TINY_YAML), "--num_eval_examples", "16", "--out", "{out}/eval"]
EVALUATE_PUZZLES = ["--out", "{out}/eval"]
PUBLISH = ["--repo-id", "org/trm-math", "--out", "{out}/trm-math"]
BENCHMARK = ["--json", "{out}/bench.json"]


@dataclass(frozen=True)
class Case:
    """One bad input at one entry point: its arguments and what the error must name (`{name}`
    placeholders are `Inputs` fields and `out`, the folder every output goes under)."""

    entry: str
    case: str
    argv: list[str]
    names: tuple[str, ...]
    subprocess: bool = False

    @property
    def id(self) -> str:
        return f"{self.entry}-{self.case}"


CASES = [
    Case("train", "unknown_yaml_key", ["--config", "{unknown_key_yaml}", "--output_dir", "{out}/run"],
         ("{unknown_key_yaml}", "hidden_sizee")),
    Case("train", "wrong_type_yaml", ["--config", "{wrong_type_yaml}", "--output_dir", "{out}/run"],
         ("{wrong_type_yaml}", "hidden_size", "abc")),
    Case("train", "wrong_type_cli", [*TRAIN, "--hidden_size", "abc"], ("--hidden_size", "abc")),
    Case("train", "missing_data", [*TRAIN, "--dataset", "gsm8k", "--gsm8k_path", "{nowhere}"],
         ("gsm8k_path", "{nowhere}")),
    Case("train", "tokenizer_mismatch", [*TRAIN, "--model_name_or_path", "{math_vocab_40}"],
         ("{math_vocab_40}", "4096", "vocab_size=40")),
    Case("train", "truncated_weights", [*TRAIN, "--model_name_or_path", "{math_truncated}"],
         ("{math_truncated}/model.safetensors",)),
    # tiny.yaml gives hidden_size 64; the saved model has 32.
    Case("train", "saved_architecture_differs", [*TRAIN, "--model_name_or_path", "{math}"],
         ("{math}", "hidden_size=32", "hidden_size=64")),
    Case("train", "resume_other_config",
         [*TRAIN, "--hidden_size", "32", "--resume_from_checkpoint", "{math_hidden_64}"],
         ("{math_hidden_64}", "hidden_size=64"), subprocess=True),
    Case("train", "empty_dataset", [*TRAIN, "--dataset", "gsm8k", "--gsm8k_path", "{empty_gsm8k}"],
         ("{empty_gsm8k}/train.jsonl", "no rows")),
    Case("train", "empty_generator", [*TRAIN, "--num_train_examples", "0"], ("num_train_examples",)),
    Case("train_puzzles", "unknown_yaml_key", ["--config", "{puzzle_unknown_key_yaml}", *TRAIN_PUZZLES],
         ("{puzzle_unknown_key_yaml}", "puzzle_emb_lenn")),
    Case("train_puzzles", "wrong_type_yaml", ["--config", "{wrong_type_yaml}", "--dataset_dir", "{sudoku}",
         *TRAIN_PUZZLES], ("{wrong_type_yaml}", "hidden_size", "abc")),
    Case("train_puzzles", "missing_data", ["--dataset_dir", "{nowhere}", *TRAIN_PUZZLES], ("{nowhere}",)),
    Case("train_puzzles", "vocabulary_mismatch",
         ["--dataset_dir", "{sudoku}", "--model_name_or_path", "{puzzle_vocab_9}", *TRAIN_PUZZLES],
         ("{puzzle_vocab_9}", "{sudoku}", "vocab_size=9 (the dataset's: 6)")),
    Case("train_puzzles", "saved_architecture_differs",
         ["--dataset_dir", "{sudoku}", "--model_name_or_path", "{puzzle}", *TRAIN_PUZZLES,
          "--num_layers", "3"],
         ("{puzzle}", "num_layers=2", "num_layers=3")),
    Case("train_puzzles", "truncated_weights",
         ["--dataset_dir", "{sudoku}", "--model_name_or_path", "{puzzle_truncated}", *TRAIN_PUZZLES],
         ("{puzzle_truncated}/model.safetensors",)),
    Case("train_puzzles", "resume_other_config",
         ["--dataset_dir", "{sudoku}", "--resume_from_checkpoint", "{puzzle_hidden_64}", *TRAIN_PUZZLES],
         ("{puzzle_hidden_64}", "hidden_size=64")),
    Case("train_puzzles", "empty_dataset", ["--dataset_dir", "{empty_sudoku}", *TRAIN_PUZZLES],
         ("{empty_sudoku}", "no rows"), subprocess=True),
    Case("evaluate_model", "unknown_yaml_key",
         ["--model", "{math}", "--config", "{unknown_key_yaml}", "--out", "{out}/eval"],
         ("{unknown_key_yaml}", "hidden_sizee")),
    Case("evaluate_model", "wrong_type_yaml",
         ["--model", "{math}", "--config", "{wrong_type_yaml}", "--out", "{out}/eval"],
         ("{wrong_type_yaml}", "hidden_size")),
    Case("evaluate_model", "wrong_type_cli", ["--model", "{math}", *EVALUATE, "--batch_size", "abc"],
         ("--batch_size", "abc")),
    Case("evaluate_model", "missing_data",
         ["--model", "{math}", *EVALUATE, "--datasets", "svamp", "--svamp_path", "{nowhere}"],
         ("svamp_path", "{nowhere}")),
    Case("evaluate_model", "tokenizer_mismatch", ["--model", "{math_vocab_40}", *EVALUATE],
         ("{math_vocab_40}", "4096", "vocab_size=40")),
    Case("evaluate_model", "truncated_weights", ["--model", "{math_truncated}", *EVALUATE],
         ("{math_truncated}/model.safetensors",)),
    # The generator's test set is scored, then GSM8K's is found empty: no results may be left.
    Case("evaluate_model", "empty_dataset_halfway",
         ["--model", "{math}", *EVALUATE, "--datasets", "generator", "gsm8k", "--gsm8k_path",
          "{empty_gsm8k}"],
         ("{empty_gsm8k}/test.jsonl", "no rows"), subprocess=True),
    Case("evaluate_puzzles", "wrong_type_cli",
         ["--model", "{puzzle}", "--dataset_dir", "{sudoku}", *EVALUATE_PUZZLES, "--max_examples", "abc"],
         ("--max_examples", "abc")),
    Case("evaluate_puzzles", "missing_data", ["--model", "{puzzle}", "--dataset_dir", "{nowhere}",
         *EVALUATE_PUZZLES], ("{nowhere}",)),
    Case("evaluate_puzzles", "vocabulary_mismatch",
         ["--model", "{puzzle_vocab_9}", "--dataset_dir", "{sudoku}", *EVALUATE_PUZZLES],
         ("{puzzle_vocab_9}", "{sudoku}", "vocab_size=9")),
    Case("evaluate_puzzles", "truncated_weights",
         ["--model", "{puzzle_truncated}", "--dataset_dir", "{sudoku}", *EVALUATE_PUZZLES],
         ("{puzzle_truncated}/model.safetensors",), subprocess=True),
    Case("evaluate_puzzles", "empty_dataset",
         ["--model", "{puzzle}", "--dataset_dir", "{empty_sudoku}", *EVALUATE_PUZZLES],
         ("{empty_sudoku}", "no rows")),
    Case("publish", "unknown_yaml_key", ["{publish_unknown_key_yaml}"],
         ("{publish_unknown_key_yaml}", "modeldir")),
    Case("publish", "wrong_type_yaml", ["{publish_wrong_type_yaml}"],
         ("{publish_wrong_type_yaml}", "overwrite", "maybe")),
    Case("publish", "wrong_type_cli", ["--model-dir", "{math}", *PUBLISH, "--push", "maybe"],
         ("--push", "maybe")),
    Case("publish", "missing_data", ["--model-dir", "{nowhere}", *PUBLISH], ("model_dir", "{nowhere}")),
    Case("publish", "tokenizer_mismatch", ["--model-dir", "{math_vocab_40}", *PUBLISH],
         ("{math_vocab_40}", "4096", "vocab_size=40")),
    Case("publish", "truncated_weights", ["--model-dir", "{math_truncated}", *PUBLISH],
         ("{math_truncated}/model.safetensors",)),
    Case("publish", "empty_results", ["--model-dir", "{math}", "--eval-json", "{empty_eval_json}", *PUBLISH],
         ("{empty_eval_json}", "no evaluation results")),
    # Refused once the folder is built (its training command names this machine's folders).
    Case("publish", "refused_after_building", ["--model-dir", "{math_machine_paths}", *PUBLISH],
         ("training_info.json names {math_machine_paths}",), subprocess=True),
    Case("benchmark", "unknown_yaml_key", ["--config", "{unknown_key_yaml}", *BENCHMARK],
         ("{unknown_key_yaml}", "hidden_sizee"), subprocess=True),
    Case("benchmark", "wrong_type_yaml", ["--config", "{wrong_type_yaml}", *BENCHMARK],
         ("{wrong_type_yaml}", "hidden_size")),
    Case("benchmark", "missing_data", ["--model", "{puzzle}", "--puzzle_dataset", "{nowhere}", *BENCHMARK],
         ("--puzzle_dataset", "{nowhere}")),
    Case("benchmark", "tokenizer_mismatch", ["--model", "{math_vocab_40}", *BENCHMARK],
         ("{math_vocab_40}", "4096", "vocab_size=40")),
    Case("benchmark", "truncated_weights", ["--model", "{math_truncated}", *BENCHMARK],
         ("{math_truncated}/model.safetensors",)),
    Case("benchmark", "empty_dataset", ["--config", "{empty_generator_yaml}", *BENCHMARK],
         ("num_train_examples",)),
]  # fmt: skip


@dataclass(frozen=True)
class Inputs:
    """The bad (and the good) inputs, saved once for the module."""

    math: Path
    math_vocab_40: Path
    math_truncated: Path
    math_hidden_64: Path
    math_machine_paths: Path
    sudoku: Path
    empty_sudoku: Path
    puzzle: Path
    puzzle_vocab_9: Path
    puzzle_truncated: Path
    puzzle_hidden_64: Path
    empty_gsm8k: Path
    unknown_key_yaml: Path
    wrong_type_yaml: Path
    empty_generator_yaml: Path
    puzzle_unknown_key_yaml: Path
    publish_unknown_key_yaml: Path
    publish_wrong_type_yaml: Path
    empty_eval_json: Path
    nowhere: Path


def truncate_weights(model_dir: Path, folder: Path) -> Path:
    """A copy of `model_dir` whose `model.safetensors` is cut in half."""
    shutil.copytree(model_dir, folder)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    return folder


def save_math_model(folder: Path, tokenizer, **fields) -> Path:
    """An untrained math model beside the shipped tokenizer, with what publishing reads."""
    config = dict(vocab_size=len(tokenizer), hidden_size=32, num_heads=4, H_cycles=1, L_cycles=1)
    config.update(halt_max_steps=2, max_question_length=24, answer_length=4, **fields)
    TRMForMathQA(TRMConfig(**config)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    for name in ("training_info.json", "eval_results.json"):
        shutil.copyfile(SHIPPED_CARD / name, folder / name)
    return folder


def save_puzzle_model(folder: Path, like: Path, **fields) -> Path:
    """The tiny Sudoku model of `like` with some config fields changed."""
    config = TRMPuzzleConfig.from_pretrained(like).to_dict()
    TRMForPuzzles(TRMPuzzleConfig(**{**config, **fields})).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    root = tmp_path_factory.mktemp("bad_inputs")
    tokenizer = AutoTokenizer.from_pretrained(REPO / "tokenization" / "trm-math-bpe")
    math = save_math_model(root / "math", tokenizer)
    machine_paths = save_math_model(root / "math_machine_paths", tokenizer)
    info = {"command": f"python training/train.py --output_dir {machine_paths}", "dataset": "generator"}
    (machine_paths / "training_info.json").write_text(json.dumps(info))
    sudoku, puzzle = save_tiny_sudoku(root)
    empty_sudoku = root / "empty_sudoku"  # what a build whose filters dropped every puzzle would save
    splits = load_from_disk(str(sudoku))
    DatasetDict({name: split.select([]) for name, split in splits.items()}).save_to_disk(str(empty_sudoku))
    metadata = json.loads((sudoku / "metadata.json").read_text())
    metadata["num_examples"] = {"train": 0, "test": 0}
    (empty_sudoku / "metadata.json").write_text(json.dumps(metadata))
    empty_gsm8k = root / "empty_gsm8k"
    empty_gsm8k.mkdir()
    for name in ("train.jsonl", "test.jsonl", "icot_valid_indices.txt"):
        (empty_gsm8k / name).touch()
    texts = {
        "unknown_key.yaml": "hidden_sizee: 64\n",
        "wrong_type.yaml": "hidden_size: abc\n",
        "empty_generator.yaml": "dataset: generator\nnum_train_examples: 0\n",
        "puzzle_unknown_key.yaml": f"dataset_dir: {sudoku}\npuzzle_emb_lenn: 1\n",
        "publish_unknown_key.yaml": f"modeldir: {math}\nrepo_id: org/trm-math\n",
        "publish_wrong_type.yaml": f"model_dir: {math}\nrepo_id: org/trm-math\noverwrite: maybe\n",
        "empty_eval.json": json.dumps({"evaluations": []}),
    }
    for name, text in texts.items():
        (root / name).write_text(text)
    return Inputs(
        math=math,
        math_vocab_40=save_math_model(root / "math_vocab_40", tokenizer, vocab_size=40),
        math_truncated=truncate_weights(math, root / "math_truncated"),
        math_hidden_64=save_math_model(root / "math_hidden_64", tokenizer, hidden_size=64),
        math_machine_paths=machine_paths,
        sudoku=sudoku,
        empty_sudoku=empty_sudoku,
        puzzle=puzzle,
        puzzle_vocab_9=save_puzzle_model(root / "puzzle_vocab_9", puzzle, vocab_size=9),
        puzzle_truncated=truncate_weights(puzzle, root / "puzzle_truncated"),
        puzzle_hidden_64=save_puzzle_model(root / "puzzle_hidden_64", puzzle, hidden_size=64),
        empty_gsm8k=empty_gsm8k,
        unknown_key_yaml=root / "unknown_key.yaml",
        wrong_type_yaml=root / "wrong_type.yaml",
        empty_generator_yaml=root / "empty_generator.yaml",
        puzzle_unknown_key_yaml=root / "puzzle_unknown_key.yaml",
        publish_unknown_key_yaml=root / "publish_unknown_key.yaml",
        publish_wrong_type_yaml=root / "publish_wrong_type.yaml",
        empty_eval_json=root / "empty_eval.json",
        nowhere=root / "nowhere",
    )


def filled(texts: list[str] | tuple[str, ...], inputs: Inputs, out: Path) -> list[str]:
    return [text.format(**vars(inputs), out=out) for text in texts]


@pytest.fixture(scope="module")
def launched(inputs: Inputs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple]]:
    """The subprocess rows, all started at once: `(process, out, stderr file)` per case id."""
    python_path = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(python_path),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    running = {}
    for case in (case for case in CASES if case.subprocess):
        out = tmp_path_factory.mktemp(case.id)
        command = [sys.executable, *COMMANDS[case.entry], *filled(case.argv, inputs, out)]
        with open(out.parent / f"{case.id}.stderr", "w") as stderr:
            process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        running[case.id] = (process, out, out.parent / f"{case.id}.stderr")
    yield running
    for process, _, _ in running.values():
        if process.poll() is None:
            process.kill()


@functools.cache
def entry_main(entry: str) -> Callable[[list[str]], int | None]:
    """The `main` of an entry point, imported here (`benchmark` from examples/, on pytest's `pythonpath`)."""
    module = {
        "benchmark": "benchmark",
        "train": "training.train",
        "train_puzzles": "training.train_puzzles",
        "evaluate_model": "training.evaluate_model",
        "evaluate_puzzles": "training.evaluate_puzzles",
        "publish": "hub_cards.publish",
    }[entry]
    return importlib.import_module(module).main


def run_in_process(entry: str, argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    """Exit status and error text as the command would give them: argparse exits 2, `publish` returns 1,
    and an uncaught `ValueError` or `OSError` makes the interpreter exit 1 (any other exception fails)."""
    main = entry_main(entry)
    try:
        status = main(argv) or 0
    except SystemExit as exit_:
        status = exit_.code
    except (OSError, ValueError) as error:
        return 1, f"{type(error).__name__}: {error}"
    return status, capsys.readouterr().err


def written_files(out: Path) -> list[str]:
    """Every file (and hidden folder, such as a half-built card) under `out`."""
    return sorted(
        str(path.relative_to(out)) for path in out.rglob("*") if path.is_file() or path.name.startswith(".")
    )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_fails_naming_it_and_leaves_no_finished_output(
    case: Case, inputs: Inputs, tmp_path: Path, capsys: pytest.CaptureFixture, request: pytest.FixtureRequest
) -> None:
    if case.subprocess:
        process, out, stderr = request.getfixturevalue("launched")[case.id]
        status = process.wait(timeout=300)
        message = stderr.read_text()
    else:
        out = tmp_path
        status, message = run_in_process(case.entry, filled(case.argv, inputs, out), capsys)
    assert status != 0, message[-2000:]
    error = message.strip().splitlines()[-1]  # the traceback's last line, or the command's error line
    for name in filled(case.names, inputs, out):
        assert name in error, f"{name!r} not in the error line of:\n{message[-2000:]}"
    assert written_files(out) == []
