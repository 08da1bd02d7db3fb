"""Publishing a TRM model (math and puzzles): the repository folder, its card, the refusals, and a push to
a loopback Hub."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from hub_server import LocalHub, loopback_only
from huggingface_hub import ModelCardData, metadata_load
from huggingface_hub.repocard_data import model_index_to_eval_results
from safetensors.torch import load_file, save_file
from tiny_models import save_tiny_sudoku
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
from transformers import AutoModel, AutoTokenizer, PreTrainedTokenizerFast
from without_package import BLOCK_PROJECT_IMPORTS

import modeling_trm
from hub_cards.card import TrainingInfo, load_evaluations, render_model_card
from hub_cards.publish import MATH_REPO, PUZZLE_REPO, PublishError, check_repo_folder, main
from modeling_trm import TRMConfig, TRMForMathQA
from training.data.puzzles import collate_puzzles, load_puzzle_dataset, to_model_columns
from training.evaluate_puzzles import main as evaluate_puzzles
from training.evaluation import evaluate_math_model
from training.plots import plot_halting_histogram, plot_refinement_curve

REPO_ID = "org/trm-math"
TOKEN = "hf_local_test_token"
COMMAND = "python training/train.py --config training/configs/gsm8k.yaml --max_steps 3"
QUESTIONS = [
    "tom has 3 apples and buys 4 more . how many apples ?",
    "a baker made 24 muffins and sold 9 of them . how many muffins are left ?",
]
# What `training/train.py` writes, plus the optional `config` and `steps`.
TRAINING_INFO = {
    "command": COMMAND,
    "dataset": "gsm8k",
    "config": "training/configs/gsm8k.yaml",
    "steps": 3,
    "num_train_examples": 4,
    "num_eval_examples": 4,
    "train_metrics": {"train_runtime": 12.5, "train_loss": 3.1, "epoch": 1.0},
}
# Results given distinct values per dataset and metric, so a swapped or misplaced number shows.
SCORES = {"gsm8k": {"accuracy": 0.375, "exact_match": 0.25}, "svamp": {"accuracy": 0.625, "exact_match": 0.5}}
# The shape `python -m training.metrics.trivial_baselines --json` writes.
BASELINES = {
    "most_common_training_answer": "4",
    "gsm8k/test": {"num_examples": 1319, "scores": {"constant answer '4'": 0.0262, "last number": 0.0227}},
    "svamp": {"num_examples": 1000, "scores": {"constant answer '4'": 0.039, "last number": 0.02}},
}

# A fresh interpreter with an empty cache that cannot import this project: load the pushed repository
# through HF_ENDPOINT (only 127.0.0.1 reachable) and the built folder from disk, both with remote code,
# run the card's usage example, and save what the models answer.
_LOAD_WITHOUT_PACKAGE = BLOCK_PROJECT_IMPORTS + textwrap.dedent(
    """
    tests_dir, repo_id, folder, example, questions, out = sys.argv[1:]
    sys.path.insert(0, tests_dir)
    import torch
    from hub_server import loopback_only
    from transformers import AutoModel, AutoTokenizer, pipeline

    answers, solved = {}, {}
    with loopback_only():
        tokenizer = AutoTokenizer.from_pretrained(repo_id)
        for source in (repo_id, folder):
            model = AutoModel.from_pretrained(source, trust_remote_code=True).eval()
            assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
            inputs = tokenizer(json.loads(questions), padding=True, return_tensors="pt")
            answers[source] = model.generate(inputs["input_ids"], attention_mask=inputs["attention_mask"])
            solver = pipeline(model=source, trust_remote_code=True)
            assert type(solver).__name__ == "TRMMathQAPipeline", type(solver)
            solved[source] = solver(json.loads(questions), return_steps=True)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(open(example).read(), {})
    saved = {"input_ids": inputs["input_ids"], "answers": answers, "solved": solved}
    torch.save({**saved, "printed": printed.getvalue()}, out)
    """
)
# The same for a puzzle repository: the model from the Hub and from disk answers the grids it is given.
_LOAD_PUZZLE_WITHOUT_PACKAGE = BLOCK_PROJECT_IMPORTS + textwrap.dedent(
    """
    tests_dir, repo_id, folder, example, grids, out = sys.argv[1:]
    sys.path.insert(0, tests_dir)
    import torch
    from hub_server import loopback_only
    from transformers import AutoModel

    grids, solved = torch.load(grids), {}
    with loopback_only():
        for source in (repo_id, folder):
            model = AutoModel.from_pretrained(source, trust_remote_code=True).eval()
            assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
            assert type(model).__name__ == "TRMForPuzzles", type(model)
            solved[source] = model.generate(grids["input_ids"], grids["puzzle_identifiers"])
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(open(example).read(), {})
    torch.save({"solved": solved, "printed": printed.getvalue()}, out)
    """
)


def _tiny_tokenizer() -> PreTrainedTokenizerFast:
    words = ["[PAD]", "[UNK]", "[EOS]", *"0123456789"]
    words += sorted({word for question in QUESTIONS for word in question.split() if not word.isdigit()})
    backend = Tokenizer(models.WordLevel({word: i for i, word in enumerate(words)}, unk_token="[UNK]"))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=True)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]"
    )


def _batches(tokenizer: PreTrainedTokenizerFast, answer_length: int) -> list[dict[str, torch.Tensor]]:
    batches = []
    for questions, answers in ((QUESTIONS, ["7", "15"]), (QUESTIONS[::-1], ["15", "7"])):
        inputs = tokenizer(questions, padding=True, return_tensors="pt")
        labels = torch.full((len(answers), answer_length), -100)
        for row, answer in enumerate(answers):
            ids = tokenizer(answer)["input_ids"] + [tokenizer.eos_token_id]
            labels[row, : len(ids)] = torch.tensor(ids)
        batches.append(
            {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"], "labels": labels}
        )
    return batches


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What training and evaluation leave behind: a tiny TRM, its tokenizer, `training_info.json`, and
    an `eval_results.json` from `evaluate_math_model` for two datasets, with its plots."""
    folder = tmp_path_factory.mktemp("trained")
    tokenizer = _tiny_tokenizer()
    torch.manual_seed(0)
    config = TRMConfig(
        vocab_size=40,
        hidden_size=32,
        num_heads=4,
        num_layers=2,
        H_cycles=2,
        L_cycles=2,
        halt_max_steps=3,
        max_question_length=24,
        answer_length=5,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = TRMForMathQA(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "training_info.json").write_text(json.dumps(TRAINING_INFO))
    results = evaluate_math_model(model, tokenizer, _batches(tokenizer, config.answer_length))
    evaluations = [
        {
            "dataset": dataset,
            "num_parameters": model.num_parameters(),
            "results": {**results, **SCORES[dataset["name"]]},
        }
        for dataset in (
            {"name": "gsm8k", "split": "test", "config": "main"},
            {"name": "svamp", "split": "test"},
        )
    ]
    (folder / "eval_results.json").write_text(json.dumps({"model": str(folder), "evaluations": evaluations}))
    (folder / "trivial_baselines.json").write_text(json.dumps(BASELINES))
    plot_refinement_curve(results, folder / "refinement_curve.png")
    plot_halting_histogram(results, folder / "halting_histogram.png")
    return folder


@pytest.fixture(scope="module")
def hub() -> Iterator[LocalHub]:
    with LocalHub() as local_hub:
        yield local_hub


@pytest.fixture(scope="module")
def published(model_dir: Path, hub: LocalHub, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository folder, built and pushed by the CLI in a subprocess that talks to the loopback Hub."""
    out = tmp_path_factory.mktemp("repo") / "trm-math"
    env = {**hub.client_env(tmp_path_factory.mktemp("publisher_home")), "HF_TOKEN": TOKEN}
    command = [sys.executable, "-m", "hub_cards.publish", "--model-dir", str(model_dir)]
    command += ["--baselines-json", str(model_dir / "trivial_baselines.json")]
    command += ["--repo-id", REPO_ID, "--out", str(out), "--push"]
    result = subprocess.run(command, env=env, cwd=out.parent, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Pushed:" in result.stdout
    return out


def _local_answers(folder: Path, input_ids: torch.Tensor) -> torch.Tensor:
    tokenizer = AutoTokenizer.from_pretrained(folder)
    inputs = tokenizer(QUESTIONS, padding=True, return_tensors="pt")
    assert torch.equal(inputs["input_ids"], input_ids)
    model = AutoModel.from_pretrained(folder).eval()
    return model.generate(inputs["input_ids"], attention_mask=inputs["attention_mask"])


def test_pushed_repo_loads_through_the_loopback_hub_without_the_package(
    published: Path, hub: LocalHub, tmp_path: Path
) -> None:
    readme = (published / "README.md").read_text()
    example = tmp_path / "example.py"
    # The card's first two examples run as written, one after the other: the pipeline, then generate.
    example.write_text("\n".join(re.findall(r"```python\n(.*?)```", readme, re.DOTALL)[:2]))
    out = tmp_path / "answers.pt"
    subprocess.run(
        [sys.executable, "-c", _LOAD_WITHOUT_PACKAGE, str(Path(__file__).parent), REPO_ID]
        + [str(published), str(example), json.dumps(QUESTIONS), str(out)],
        env=hub.client_env(tmp_path / "empty_home"),
        cwd=tmp_path,
        check=True,
        timeout=120,
    )
    loaded = torch.load(out)

    expected = _local_answers(published, loaded["input_ids"])
    assert torch.equal(loaded["answers"][REPO_ID], expected)
    assert torch.equal(loaded["answers"][str(published)], expected)
    # The repository's own pipeline answers like the model: the text of the answer slots up to eos.
    tokenizer = AutoTokenizer.from_pretrained(published)
    for source in (REPO_ID, str(published)):
        for row, solved in zip(expected, loaded["solved"][source], strict=True):
            ids = row.tolist()
            text = tokenizer.decode(
                ids[: ids.index(tokenizer.eos_token_id)] if tokenizer.eos_token_id in ids else ids
            )
            assert solved["text"] == text.strip() and solved["answer"] == text.strip()
            assert 1 <= solved["num_steps"] <= 3 and len(solved["steps"]) == 3  # N_sup = 3
    assert "step 1: " in loaded["printed"] and "halted after " in loaded["printed"]

    # One commit holding exactly the folder, pushed and then downloaded on 127.0.0.1.
    assert hub.files(REPO_ID) == {path.name: path.read_bytes() for path in published.iterdir()}
    calls = [(request.method, request.path) for request in hub.requests]
    assert ("POST", "/api/validate-yaml") in calls
    assert calls.count(("POST", f"/api/models/{REPO_ID}/commit/main")) == 1
    downloaded = {path.rsplit("/", 1)[1] for method, path in calls if path.startswith(f"/{REPO_ID}/resolve/")}
    assert {"config.json", "model.safetensors", "tokenizer.json", *MATH_REPO.modeling_files} <= downloaded


def test_installed_package_loads_the_folder_without_remote_code(published: Path, model_dir: Path) -> None:
    model = AutoModel.from_pretrained(published)
    assert type(model) is modeling_trm.TRMForMathQA
    original = TRMForMathQA.from_pretrained(model_dir)
    for name, tensor in original.state_dict().items():
        assert torch.equal(model.state_dict()[name], tensor), name


def test_exported_modeling_files_are_byte_identical_to_the_package(published: Path) -> None:
    package_dir = Path(modeling_trm.__file__).parent
    for name in MATH_REPO.modeling_files:
        assert (published / name).read_bytes() == (package_dir / name).read_bytes(), name
    config = json.loads((published / "config.json").read_text())
    assert config["auto_map"] == {
        "AutoConfig": "configuration_trm.TRMConfig",
        "AutoModel": "modeling_trm.TRMForMathQA",
    }


def test_folder_holds_the_repository_files_and_no_machine_paths(
    published: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    names = {path.name for path in published.iterdir()}
    assert names == {
        "README.md",
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        *MATH_REPO.modeling_files,
        "eval_results.json",
        "training_info.json",
        "refinement_curve.png",
        "halting_histogram.png",
        "trivial_baselines.json",
    }
    base = str(tmp_path_factory.getbasetemp()).encode()
    assert [path.name for path in published.iterdir() if base in path.read_bytes()] == []
    # Published offline (as the tests run), yet the repository must not tell loaders to stay offline.
    assert "local_files_only" not in json.loads((published / "tokenizer_config.json").read_text())


def test_card_metadata_round_trips_and_its_numbers_equal_the_evaluation_json(
    published: Path, model_dir: Path
) -> None:
    evaluation_json = json.loads((model_dir / "eval_results.json").read_text())
    evaluations = evaluation_json["evaluations"]
    metadata = metadata_load(published / "README.md")
    assert ModelCardData(**metadata).eval_results  # huggingface_hub parses and validates the model-index
    assert metadata["license"] == "mit" and metadata["library_name"] == "transformers"
    assert {"trm", "tiny-recursive-model", "math", "gsm8k", "svamp", "custom_code"} <= set(metadata["tags"])
    assert metadata["datasets"] == ["openai/gsm8k"]

    name, results = model_index_to_eval_results(metadata["model-index"])
    assert name == "trm-math"
    found = {
        (r.dataset_type, r.dataset_split, r.dataset_config, r.metric_type): r.metric_value for r in results
    }
    expected = {}
    for evaluation, dataset_type in zip(evaluations, ("openai/gsm8k", "svamp"), strict=True):
        dataset = evaluation["dataset"]
        for metric in ("accuracy", "exact_match"):
            key = (dataset_type, dataset["split"], dataset.get("config"), metric)
            expected[key] = evaluation["results"][metric]
    assert found == expected

    readme = (published / "README.md").read_text()
    for evaluation in evaluations:
        scores = evaluation["results"]
        percents = [f"{100 * scores[key]:.1f}%" for key in ("accuracy", "exact_match", "accuracy_all_steps")]
        percents.insert(1, "–")  # no calculator decoding: final-answer targets
        row = (
            f"| {scores['num_examples']} | " + " | ".join(percents) + f" | {scores['mean_halt_steps']:.2f} |"
        )
        assert row in readme
    # The trivial baselines beside the model's GSM8K test and SVAMP accuracy, as in their JSON.
    assert "| | GSM8K (1,319) | SVAMP (1,000) |" in readme
    assert "| this model (ACT) | 37.5% | 62.5% |" in readme
    assert "| constant answer '4' | 2.6% | 3.9% |" in readme and "| last number | 2.3% | 2.0% |" in readme
    assert json.loads((published / "trivial_baselines.json").read_text()) == BASELINES
    assert f"```bash\n{COMMAND}\n```" in readme
    assert "(refinement_curve.png)" in readme and "training_curves.png" not in readme
    assert "AutoModel.from_pretrained(repo_id, trust_remote_code=True)" in readme
    assert "- training time: 0.2 min (wall clock, with the evaluations during training)" in readme
    assert "- optimizer steps: 3" in readme
    assert json.loads((published / "eval_results.json").read_text()) == {**evaluation_json, "model": REPO_ID}
    assert json.loads((published / "training_info.json").read_text()) == TRAINING_INFO


def test_publish_refuses_evaluation_json_without_results(model_dir: Path, tmp_path: Path, capsys) -> None:
    empty = tmp_path / "eval_results.json"
    empty.write_text(json.dumps({"evaluations": []}))
    args = tmp_path / "publish.json"
    out = tmp_path / "repo"
    args.write_text(
        json.dumps(
            {
                "model_dir": str(model_dir),
                "repo_id": REPO_ID,
                "out": str(out),
                "eval_json": str(empty),
                "push": True,
            }
        )
    )
    with loopback_only():
        assert main([str(args)]) == 1
    assert "no evaluation results" in capsys.readouterr().err
    assert not out.exists()


def test_check_refuses_a_card_without_evaluation_results(published: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(published, tmp_path / "repo")
    readme = folder / "README.md"
    metadata = metadata_load(readme)
    del metadata["model-index"]
    readme.write_text(f"---\n{json.dumps(metadata)}\n---\n# no results\n")
    with pytest.raises(PublishError, match="no evaluation results"):
        check_repo_folder(folder)


def test_publish_refuses_weights_missing_a_tensor(model_dir: Path, tmp_path: Path, capsys) -> None:
    broken = shutil.copytree(model_dir, tmp_path / "broken")
    weights = load_file(broken / "model.safetensors")
    del weights["lm_head.weight"]  # from_pretrained alone would only warn and initialize it at random
    save_file(weights, broken / "model.safetensors", metadata={"format": "pt"})
    out = tmp_path / "repo"
    with loopback_only():
        assert main(["--model-dir", str(broken), "--repo-id", REPO_ID, "--out", str(out), "--push"]) == 1
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.startswith("error: ") and "do not match" in error and "lm_head.weight" in error
    assert not out.exists()


def test_check_refuses_a_folder_whose_weights_fail_to_load(published: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(published, tmp_path / "repo")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(PublishError, match="fail to load"):
        check_repo_folder(folder)


def test_publish_replaces_a_non_empty_out_only_with_overwrite(
    model_dir: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "repo"
    out.mkdir()
    (out / "stale.txt").write_text("from an earlier build")
    argv = ["--model-dir", str(model_dir), "--repo-id", REPO_ID, "--out", str(out)]
    assert main(argv) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert main([*argv, "--overwrite"]) == 0
    assert not (out / "stale.txt").exists() and (out / "README.md").exists()


def test_single_evaluation_json_and_bfloat16_weights_publish(model_dir: Path, tmp_path: Path) -> None:
    evaluation = {
        "model": str(model_dir),
        **json.loads((model_dir / "eval_results.json").read_text())["evaluations"][0],
    }
    single = tmp_path / "eval_results.json"
    single.write_text(json.dumps(evaluation))  # the evaluation CLI's shape for one dataset
    out = tmp_path / "repo"
    argv = [
        "--model-dir",
        str(model_dir),
        "--repo-id",
        REPO_ID,
        "--out",
        str(out),
        "--eval-json",
        str(single),
    ]
    assert main([*argv, "--dtype", "bfloat16"]) == 0
    assert {tensor.dtype for tensor in load_file(out / "model.safetensors").values()} == {torch.bfloat16}
    size = (out / "model.safetensors").stat().st_size
    assert size < 0.6 * (model_dir / "model.safetensors").stat().st_size
    metadata = metadata_load(out / "README.md")
    _, results = model_index_to_eval_results(metadata["model-index"])
    assert [(r.dataset_type, r.metric_value) for r in results] == [
        ("openai/gsm8k", 0.375),
        ("openai/gsm8k", 0.25),
    ]
    assert "safetensors, bfloat16" in (out / "README.md").read_text()
    assert not (out / "training_curves.png").exists()


def test_card_of_the_single_pass_baseline_says_so(model_dir: Path) -> None:
    evaluations = load_evaluations(model_dir / "eval_results.json")
    config = TRMConfig(vocab_size=40, hidden_size=32, num_heads=4, single_pass=True)
    info = TrainingInfo.load(model_dir / "training_info.json")
    card = render_model_card(REPO_ID, config, 1000, "float32", evaluations, info, plots=[])
    assert "single-pass baseline" in card.text and "deep supervision" not in card.text
    assert "![" not in card.text


def test_card_of_a_one_supervision_step_model_says_it_chains_no_steps(model_dir: Path) -> None:
    evaluations = load_evaluations(model_dir / "eval_results.json")
    config = TRMConfig(vocab_size=40, hidden_size=32, num_heads=4, halt_max_steps=1)
    info = TrainingInfo.load(model_dir / "training_info.json")
    card = render_model_card(REPO_ID, config, 1000, "float32", evaluations, info, plots=[])
    assert "(N_sup = 1), and it runs one" in card.text and "one supervision step per example" in card.text
    assert "steps\nare chained" not in card.text and "Training used deep supervision" not in card.text


def test_publish_refuses_a_training_command_with_machine_paths(
    model_dir: Path, tmp_path: Path, capsys
) -> None:
    trained = shutil.copytree(model_dir, tmp_path / "trained")
    info = {"command": f"python training/train.py --output_dir {trained}", "dataset": "gsm8k"}
    (trained / "training_info.json").write_text(json.dumps(info))
    assert main(["--model-dir", str(trained), "--repo-id", REPO_ID, "--out", str(tmp_path / "repo")]) == 1
    assert f"training_info.json names {trained}" in capsys.readouterr().err


def test_publish_refuses_an_example_question_longer_than_the_model_reads(
    model_dir: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "repo"
    argv = ["--model-dir", str(model_dir), "--repo-id", REPO_ID, "--out", str(out)]
    assert main([*argv, "--example-question", " ".join(["apples"] * 500)]) == 1
    assert "max_question_length" in capsys.readouterr().err
    assert not out.exists()


def test_card_lists_a_model_specific_limitation_first(model_dir: Path) -> None:
    evaluations = load_evaluations(model_dir / "eval_results.json")
    config = TRMConfig(vocab_size=40, hidden_size=32, num_heads=4)
    info = TrainingInfo.load(model_dir / "training_info.json")
    note = "Trained on symbolic chains only."
    card = render_model_card(REPO_ID, config, 1000, "float32", evaluations, info, plots=[], limitation=note)
    limitations = card.text.split("## Limitations")[1]
    assert limitations.lstrip().startswith(f"- {note}")


PUZZLE_REPO_ID = "org/trm-sudoku"
PUZZLE_TRAINING_INFO = {
    "command": "python training/train_puzzles.py --config training/configs/sudoku6_cpu.yaml "
    "--dataset_dir data/sudoku4 --max_steps 3",
    "dataset": "sudoku",
    "num_train_examples": 8,
}


@pytest.fixture(scope="module")
def puzzle_model_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """What puzzle training and evaluation leave behind: the tiny Sudoku model of `tiny_models`, its
    `training_info.json`, and the `eval_results.json` and plots of `training/evaluate_puzzles.py`;
    returns `(dataset_dir, model_dir)`."""
    dataset_dir, model_dir = save_tiny_sudoku(tmp_path_factory.mktemp("trained_puzzle"))
    (model_dir / "training_info.json").write_text(json.dumps(PUZZLE_TRAINING_INFO))
    evaluate_puzzles(["--model", str(model_dir), "--dataset_dir", str(dataset_dir), "--out", str(model_dir)])
    return dataset_dir, model_dir


@pytest.fixture(scope="module")
def published_puzzle(
    puzzle_model_dir: tuple[Path, Path], hub: LocalHub, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The puzzle repository folder, built and pushed by the CLI in a subprocess."""
    out = tmp_path_factory.mktemp("puzzle_repo") / "trm-sudoku"
    env = {**hub.client_env(tmp_path_factory.mktemp("puzzle_publisher_home")), "HF_TOKEN": TOKEN}
    command = [sys.executable, "-m", "hub_cards.publish", "--model-dir", str(puzzle_model_dir[1])]
    command += ["--repo-id", PUZZLE_REPO_ID, "--out", str(out), "--push"]
    result = subprocess.run(command, env=env, cwd=out.parent, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_pushed_puzzle_repo_loads_through_the_loopback_hub_without_the_package(
    published_puzzle: Path, puzzle_model_dir: tuple[Path, Path], hub: LocalHub, tmp_path: Path
) -> None:
    test_split = load_puzzle_dataset(puzzle_model_dir[0])[0]["test"]
    grids = collate_puzzles(to_model_columns(test_split).select(range(4)))
    torch.save(grids, tmp_path / "grids.pt")
    readme = (published_puzzle / "README.md").read_text()
    example = tmp_path / "example.py"
    # The card's first two examples run as written, one after the other: the pipeline, then generate.
    example.write_text("\n".join(re.findall(r"```python\n(.*?)```", readme, re.DOTALL)[:2]))
    out = tmp_path / "solved.pt"
    subprocess.run(
        [sys.executable, "-c", _LOAD_PUZZLE_WITHOUT_PACKAGE, str(Path(__file__).parent), PUZZLE_REPO_ID]
        + [str(published_puzzle), str(example), str(tmp_path / "grids.pt"), str(out)],
        env=hub.client_env(tmp_path / "empty_home"),
        cwd=tmp_path,
        check=True,
        timeout=120,
    )
    loaded = torch.load(out)

    model = AutoModel.from_pretrained(published_puzzle).eval()
    assert type(model) is modeling_trm.TRMForPuzzles  # the installed package, without remote code
    expected = model.generate(grids["input_ids"], grids["puzzle_identifiers"])
    assert torch.equal(loaded["solved"][PUZZLE_REPO_ID], expected)
    assert torch.equal(loaded["solved"][str(published_puzzle)], expected)
    assert "step 1: " in loaded["printed"] and "halted after " in loaded["printed"]
    assert hub.files(PUZZLE_REPO_ID) == {path.name: path.read_bytes() for path in published_puzzle.iterdir()}


def test_puzzle_repo_holds_its_files_and_a_card_of_its_evaluation(
    published_puzzle: Path, puzzle_model_dir: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    names = {path.name for path in published_puzzle.iterdir()}
    assert names == {
        "README.md",
        "config.json",
        "generation_config.json",
        "model.safetensors",
        *PUZZLE_REPO.modeling_files,
        "eval_results.json",
        "training_info.json",
        "refinement_curve.png",
        "halting_histogram.png",
    }
    base = str(tmp_path_factory.getbasetemp()).encode()
    assert [path.name for path in published_puzzle.iterdir() if base in path.read_bytes()] == []
    config = json.loads((published_puzzle / "config.json").read_text())
    assert config["auto_map"] == PUZZLE_REPO.auto_map and "custom_pipelines" not in config

    evaluation = json.loads((puzzle_model_dir[1] / "eval_results.json").read_text())
    published_evaluation = json.loads((published_puzzle / "eval_results.json").read_text())
    assert published_evaluation["results"] == evaluation["results"]
    assert (
        published_evaluation["model"] == PUZZLE_REPO_ID and published_evaluation["dataset_dir"] == "sudoku4"
    )
    metadata = metadata_load(published_puzzle / "README.md")
    assert ModelCardData(**metadata).eval_results and "sudoku" in metadata["tags"]
    _, results = model_index_to_eval_results(metadata["model-index"])
    found = {(r.dataset_type, r.dataset_split, r.metric_type): r.metric_value for r in results}
    assert found == {
        ("sudoku", "test", "exact_match"): evaluation["results"]["exact_accuracy"],
        ("sudoku", "test", "accuracy"): evaluation["results"]["token_accuracy"],
    }
    assert f"```bash\n{PUZZLE_TRAINING_INFO['command']}\n```" in (published_puzzle / "README.md").read_text()
