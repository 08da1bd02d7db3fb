"""The model card of a published TRM model, rendered from its evaluation JSON with `huggingface_hub`.

Math (`render_model_card`): every number is read from the evaluation JSON written by
`training/evaluate_model.py`, either one evaluation `{"model": ..., "dataset": {"name", "split",
"config"?}, "results": {...}}` or several as `{"model": ..., "evaluations": [...]}` (`load_evaluations`).
Puzzles (`render_puzzle_model_card`): from the one evaluation `training/evaluate_puzzles.py` writes,
`{"model", "dataset_dir", "split", "results": {...}}` (`load_puzzle_evaluation`). The training command
is read from `training_info.json` (see [`TrainingInfo`]) for both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import NamedTuple

from huggingface_hub import EvalResult, ModelCard, ModelCardData
from transformers import PretrainedConfig

TEMPLATE_PATH = Path(__file__).resolve().parent / "model_card_template.md"
PUZZLE_TEMPLATE_PATH = Path(__file__).resolve().parent / "puzzle_model_card_template.md"
EVAL_RESULTS_NAME = "eval_results.json"
TRAINING_INFO_NAME = "training_info.json"
# Plots the evaluation CLI writes next to its JSON, in the order the card shows them; the first two
# show the first dataset evaluated.
PLOT_CAPTIONS: dict[str, str] = {
    "refinement_curve.png": "Refinement curve on {dataset}: accuracy after each supervision step",
    "halting_histogram.png": "Supervision steps at which ACT halted on {dataset}",
    "training_curves.png": "Training losses and accuracies",
}
TAGS = ("trm", "tiny-recursive-model", "recursive-reasoning", "math", "custom_code", "arxiv:2510.04871")
PUZZLE_TAGS = (
    "trm",
    "tiny-recursive-model",
    "recursive-reasoning",
    "puzzles",
    "custom_code",
    "arxiv:2510.04871",
)
EXAMPLE_QUESTION = "A baker made 24 muffins and sold 9 of them. How many muffins are left?"
# Results the card needs from each evaluation (the evaluation CLI writes more).
REQUIRED_RESULTS = (
    "num_examples",
    "accuracy",
    "exact_match",
    "accuracy_all_steps",
    "accuracy_per_step",
    "mean_halt_steps",
)
# Results the puzzle card needs (`training/evaluate_puzzles.py` writes more).
REQUIRED_PUZZLE_RESULTS = (
    "num_examples",
    "exact_accuracy",
    "token_accuracy",
    "exact_accuracy_all_steps",
    "exact_accuracy_per_step",
    "mean_halt_steps",
)


class DatasetRef(NamedTuple):
    """How the card names a dataset.

    Args:
        type (`str`): The model-index `dataset.type`: the Hub dataset id where the data is one.
        name (`str`): A readable name.
        hub_id (`str | None`): The Hub dataset id for the `datasets` metadata, `None` when there is none.
    """

    type: str
    name: str
    hub_id: str | None


# Keyed by the `dataset.name` of the evaluation JSON and the `dataset` of `training_info.json`.
# The SVAMP file evaluated is the full 1,000-problem GitHub release, not a Hub dataset's split.
DATASETS: dict[str, DatasetRef] = {
    "gsm8k": DatasetRef("openai/gsm8k", "GSM8K", "openai/gsm8k"),
    "svamp": DatasetRef("svamp", "SVAMP", None),
    "generator": DatasetRef("trm-math-generator", "generated arithmetic problems", None),
    "word_problems": DatasetRef("trm-math-word-problems", "generated word problems", None),
}
# Keyed by the `puzzle` of a puzzle dataset's `metadata.json`, which `training/train_puzzles.py` writes as
# the `dataset` of `training_info.json`. The datasets are built by `training.data.puzzles.build`.
# The benchmarks of `python -m training.metrics.trivial_baselines --json`: its key -> (dataset, split).
BASELINE_SPLITS = {"gsm8k/test": ("gsm8k", "test"), "svamp": ("svamp", "test")}
PUZZLE_DATASETS: dict[str, DatasetRef] = {
    "sudoku": DatasetRef("sudoku", "Sudoku", None),
    "maze": DatasetRef("maze", "Maze", None),
    "arc": DatasetRef("arc-agi", "ARC-AGI", None),
}


def _dataset(name: str, source: str, known: dict[str, DatasetRef] = DATASETS) -> DatasetRef:
    if name not in known:
        raise ValueError(f"{source}: unknown dataset {name!r}; expected one of {tuple(known)}.")
    return known[name]


@dataclass
class TrainingInfo:
    """How a model was trained: `training_info.json`, written next to the weights by `training/train.py`.

    Example file (keys beyond these are allowed and published unchanged):

    ```json
    {"command": "python training/train.py --config training/configs/gsm8k.yaml",
     "dataset": "gsm8k", "config": "training/configs/gsm8k.yaml", "steps": 20000,
     "num_train_examples": 7000, "num_eval_examples": 473,
     "train_metrics": {"train_runtime": 5400.0, "train_loss": 0.8, "epoch": 40.0}}
    ```

    Args:
        command (`str`): The exact command line that trained the model, with relative paths only.
        dataset (`str`): Training data: a math dataset (`DataArguments.dataset`, e.g. `"gsm8k"`) or a
            puzzle (`"sudoku"`, `"maze"`, `"arc"`, from the dataset's `metadata.json`).
        config (`str`, *optional*): The YAML config file the command used, relative to the repository root.
        steps (`int`, *optional*): Optimizer steps run (`TrainOutput.global_step`).
        train_runtime_s (`float`, *optional*): Wall-clock training time in seconds; defaults to
            `train_metrics["train_runtime"]`.
        num_train_examples (`int`, *optional*): Training examples (after filtering and augmentation).
        num_eval_examples (`int`, *optional*): Held-out examples evaluated during training.
        train_metrics (`dict`, *optional*): The metrics of `Trainer.train()` (`train_runtime`, `epoch`, ...).
    """

    command: str
    dataset: str
    config: str | None = None
    steps: int | None = None
    train_runtime_s: float | None = None
    num_train_examples: int | None = None
    num_eval_examples: int | None = None
    train_metrics: dict | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.command, str) or not self.command.strip():
            raise ValueError(f"`command` must be a non-empty string, got {self.command!r}.")
        _dataset(self.dataset, "`dataset`", {**DATASETS, **PUZZLE_DATASETS})
        for name in ("steps", "num_train_examples", "num_eval_examples"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"`{name}` must be an integer, got {value!r}.")
        if self.train_runtime_s is None and self.train_metrics:
            self.train_runtime_s = self.train_metrics.get("train_runtime")
        if self.train_runtime_s is not None and not isinstance(self.train_runtime_s, (int, float)):
            raise ValueError(f"`train_runtime_s` must be a number of seconds, got {self.train_runtime_s!r}.")

    @classmethod
    def load(cls, path: str | Path) -> TrainingInfo:
        """Read and check a `training_info.json`; keys not named above are ignored here.

        Args:
            path (`str | Path`): The file.

        Returns:
            [`TrainingInfo`]: its content.
        """
        data = json.loads(Path(path).read_text())
        if not isinstance(data, dict) or not {"command", "dataset"} <= data.keys():
            raise ValueError(
                f"{path}: expected an object with at least `command` and `dataset`, got {data!r}."
            )
        try:
            return cls(**{field.name: data[field.name] for field in fields(cls) if field.name in data})
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error


def load_evaluations(path: str | Path) -> list[dict]:
    """Read the evaluation CLI's JSON: one evaluation object, or `{"evaluations": [...]}`.

    Args:
        path (`str | Path`): `eval_results.json`.

    Returns:
        `list[dict]`: the evaluations, each with `dataset` (`name`, `split`, `config`) and `results`;
        empty when the file holds none.
    """
    data = json.loads(Path(path).read_text())
    evaluations = data["evaluations"] if isinstance(data, dict) and "evaluations" in data else [data]
    if not isinstance(evaluations, list):
        raise ValueError(f"{path}: `evaluations` must be a list, got {type(evaluations).__name__}.")
    for index, evaluation in enumerate(evaluations):
        where = f"{path}, evaluation {index}"
        if not isinstance(evaluation, dict) or not {"dataset", "results"} <= evaluation.keys():
            raise ValueError(f"{where}: expected an object with `dataset` and `results`.")
        if (
            not isinstance(evaluation["dataset"], dict)
            or not {"name", "split"} <= evaluation["dataset"].keys()
        ):
            raise ValueError(f"{where}: `dataset` needs `name` and `split`, got {evaluation['dataset']!r}.")
        _dataset(evaluation["dataset"]["name"], where)
        missing = [key for key in REQUIRED_RESULTS if key not in evaluation["results"]]
        if missing:
            raise ValueError(f"{where}: `results` lacks {missing}.")
    return evaluations


def eval_results(evaluations: list[dict]) -> list[EvalResult]:
    """The model-index entries of the evaluations: accuracy and exact match (ACT) per dataset, and the
    accuracy after calculator decoding where the evaluation has one.

    Args:
        evaluations (`list[dict]`): From [`load_evaluations`].

    Returns:
        `list[EvalResult]`: two or three per evaluation, values exactly as in the JSON (accuracy over
        every problem of the split where problems were dropped by the length filter).
    """
    entries = []
    for evaluation in evaluations:
        dataset, results = evaluation["dataset"], evaluation["results"]
        ref = DATASETS[dataset["name"]]
        common = dict(
            task_type="text-generation",
            task_name="Math word problems",
            dataset_type=ref.type,
            dataset_name=ref.name,
            dataset_config=dataset.get("config"),
            dataset_split=dataset["split"],
        )
        entries.append(
            EvalResult(
                metric_type="accuracy",
                metric_name="Accuracy (final answer, ACT)",
                metric_value=overall_accuracy(results),
                **common,
            )
        )
        if "calculator" in results:
            entries.append(
                EvalResult(
                    metric_type="accuracy",
                    metric_name="Accuracy (calculator decoding, ACT)",
                    metric_value=overall_accuracy(results["calculator"]),
                    **common,
                )
            )
        entries.append(
            EvalResult(
                metric_type="exact_match",
                metric_name="Exact match (answer tokens, ACT)",
                metric_value=over_all_records(results, results["exact_match"]),
                **common,
            )
        )
    return entries


def overall_accuracy(results: dict) -> float:
    """Accuracy over every problem of the split: problems the length filter dropped count as wrong
    (`accuracy_over_all_records`, written by `training.evaluate_model`), else `accuracy`."""
    return results.get("accuracy_over_all_records", results["accuracy"])


def over_all_records(results: dict, value: float) -> float:
    """A score of the evaluated problems as a score over every problem of the split (`num_records`,
    written by `training.evaluate_model`): the problems the length filter dropped count as wrong."""
    return value * results["num_examples"] / results.get("num_records", results["num_examples"])


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def _architecture(config: PretrainedConfig, num_parameters: int) -> dict:
    """What both card templates say of the network: size, blocks, T, n, N_sup, depth per step."""
    return dict(
        single_pass=config.single_pass,
        num_parameters=f"{num_parameters / 1e6:.1f}M",
        num_parameters_exact=f"{num_parameters:,}",
        num_layers=config.num_layers,
        hidden_size=config.hidden_size,
        mixer=config.mixer,
        pos_encoding=config.pos_encoding,
        H_cycles=config.H_cycles,
        L_cycles=config.L_cycles,
        halt_max_steps=config.halt_max_steps,
        depth_per_step=config.H_cycles * (config.L_cycles + 1) * config.num_layers,
    )


def _result_row(evaluation: dict) -> dict[str, str]:
    dataset, results = evaluation["dataset"], evaluation["results"]
    name = DATASETS[dataset["name"]].name
    num_records = results.get("num_records", results["num_examples"])
    dropped = num_records - results["num_examples"]
    calculator = results.get("calculator")

    def over_records(value: float) -> str:
        return _percent(over_all_records(results, value))

    return {
        "dataset": f"{name} ({dataset['config']})" if dataset.get("config") else name,
        "split": dataset["split"],
        "num_examples": f"{num_records:,}" + (f" ({dropped:,} too long, scored wrong)" if dropped else ""),
        "accuracy": _percent(overall_accuracy(results)),
        "calculator": _percent(overall_accuracy(calculator)) if calculator else "–",
        "per_group": ", ".join(
            f"{group}: {_percent(scores['accuracy'])} of {scores['num_examples']}"
            for group, scores in results.get("per_group", {}).items()
        ),
        "exact_match": over_records(results["exact_match"]),
        "accuracy_all_steps": over_records(results["accuracy_all_steps"]),
        "mean_halt_steps": f"{results['mean_halt_steps']:.2f}",
        "accuracy_per_step": ", ".join(over_records(value) for value in results["accuracy_per_step"]),
    }


def render_model_card(
    repo_id: str,
    config: PretrainedConfig,
    num_parameters: int,
    dtype: str,
    evaluations: list[dict],
    training_info: TrainingInfo,
    plots: list[str],
    example_question: str = EXAMPLE_QUESTION,
    limitation: str | None = None,
    baselines: dict | None = None,
) -> ModelCard:
    """Render the card: metadata (model-index, datasets, license, tags) and the body from the template.

    Args:
        repo_id (`str`): `"org/name"`; the name is the model-index name.
        config (`PretrainedConfig`): The model's `TRMConfig`.
        num_parameters (`int`): Parameters, embeddings included.
        dtype (`str`): The dtype the weights are stored in, e.g. `"float32"`.
        evaluations (`list[dict]`): From [`load_evaluations`]; must not be empty.
        training_info (`TrainingInfo`): How the model was trained.
        plots (`list[str]`): PNG file names shipped next to the card; those in `PLOT_CAPTIONS` are shown.
        example_question (`str`, *optional*): The question of the usage example.
        limitation (`str`, *optional*): A first, model-specific item for the card's limitations.
        baselines (`dict`, *optional*): The JSON of `python -m training.metrics.trivial_baselines --json`;
            the card tables them beside the model's GSM8K and SVAMP accuracy.

    Returns:
        `ModelCard`: the card; `card.save(folder / "README.md")` writes it.
    """
    if not evaluations:
        raise ValueError("The evaluation JSON holds no evaluations: a card needs evaluation results.")
    if training_info.dataset not in DATASETS:
        expected = tuple(DATASETS)
        raise ValueError(
            f"training_info.json: `dataset` {training_info.dataset!r} is no math dataset; expected one of "
            f"{expected}."
        )
    evaluated = [evaluation["dataset"]["name"] for evaluation in evaluations]
    trained_on = DATASETS[training_info.dataset]
    card_data = ModelCardData(
        model_name=repo_id.split("/")[-1],
        language="en",
        license="mit",
        library_name="transformers",
        tags=list(TAGS) + [name for name in dict.fromkeys(evaluated) if name != "generator"],
        datasets=[trained_on.hub_id] if trained_on.hub_id else None,
        metrics=["accuracy", "exact_match"],
        eval_results=eval_results(evaluations),
    )
    accuracy_summary = ", ".join(
        f"{_percent(overall_accuracy(e['results']))} on {DATASETS[e['dataset']['name']].name} "
        f"{e['dataset']['split']}"
        for e in evaluations
    )
    return ModelCard.from_template(
        card_data,
        template_path=str(TEMPLATE_PATH),
        repo_id=repo_id,
        model_name=card_data.model_name,
        **_architecture(config, num_parameters),
        answer_length=config.answer_length,
        max_question_length=config.max_question_length,
        dtype=dtype,
        example_question=example_question,
        limitation=limitation,
        results=[_result_row(evaluation) for evaluation in evaluations],
        plots=[
            {"file": name, "caption": caption.format(dataset=DATASETS[evaluated[0]].name)}
            for name, caption in PLOT_CAPTIONS.items()
            if name in plots
        ],
        training=training_info,
        training_dataset=trained_on.name,
        training_runtime=_duration(training_info.train_runtime_s) if training_info.train_runtime_s else None,
        accuracy_summary=accuracy_summary,
        baselines=baseline_rows(baselines, evaluations) if baselines else None,
    )


def baseline_rows(baselines: dict, evaluations: list[dict]) -> dict[str, list]:
    """The trivial-baseline table: a column per benchmark of the baselines JSON (`BASELINE_SPLITS`),
    the model's accuracy (ACT, over every problem) in the first row, each baseline below it."""
    evaluated = {(e["dataset"]["name"], e["dataset"]["split"]): e["results"] for e in evaluations}
    columns = [key for key in BASELINE_SPLITS if key in baselines]
    model_row = [
        _percent(overall_accuracy(evaluated[BASELINE_SPLITS[key]]))
        if BASELINE_SPLITS[key] in evaluated
        else "–"
        for key in columns
    ]
    rows = [["this model (ACT)", *model_row]]
    for baseline in baselines[columns[0]]["scores"]:
        rows.append([baseline, *[_percent(baselines[key]["scores"][baseline]) for key in columns]])
    header = [
        f"{DATASETS[BASELINE_SPLITS[key][0]].name} ({baselines[key]['num_examples']:,})" for key in columns
    ]
    return {"header": header, "rows": rows}


def load_puzzle_evaluation(path: str | Path) -> dict:
    """Read the puzzle evaluation CLI's JSON (`training/evaluate_puzzles.py`).

    Args:
        path (`str | Path`): `eval_results.json`.

    Returns:
        `dict`: the evaluation, with `split` and `results`.
    """
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict) or not {"split", "results"} <= data.keys():
        raise ValueError(
            f"{path}: expected an object with `split` and `results` (training/evaluate_puzzles.py)."
        )
    missing = [key for key in REQUIRED_PUZZLE_RESULTS if key not in data["results"]]
    if missing:
        raise ValueError(f"{path}: `results` lacks {missing}.")
    return data


def puzzle_eval_results(evaluation: dict, puzzle: str) -> list[EvalResult]:
    """The model-index entries of a puzzle evaluation: exact and token accuracy (ACT), and ARC pass@k
    when scored.

    Args:
        evaluation (`dict`): From [`load_puzzle_evaluation`].
        puzzle (`str`): The puzzle family, a key of `PUZZLE_DATASETS`.

    Returns:
        `list[EvalResult]`: values exactly as in the JSON.
    """
    ref, results = PUZZLE_DATASETS[puzzle], evaluation["results"]
    common = dict(
        task_type="other",
        task_name="Grid puzzle solving",
        dataset_type=ref.type,
        dataset_name=ref.name,
        dataset_split=evaluation["split"],
    )
    metrics = [
        ("exact_match", "Exact accuracy (whole grid, ACT)", results["exact_accuracy"]),
        ("accuracy", "Token accuracy (scored cells, ACT)", results["token_accuracy"]),
    ]
    metrics += [
        (key, f"ARC-AGI {key} (voting over augmentations)", value)
        for key, value in results.get("arc", {}).items()
        if key.startswith("pass@")
    ]
    return [
        EvalResult(metric_type=kind, metric_name=name, metric_value=value, **common)
        for kind, name, value in metrics
    ]


def render_puzzle_model_card(
    repo_id: str,
    config: PretrainedConfig,
    num_parameters: int,
    dtype: str,
    evaluation: dict,
    training_info: TrainingInfo,
    plots: list[str],
    limitation: str | None = None,
) -> ModelCard:
    """Render the card of a puzzle model: metadata (model-index, license, tags) and the body from the
    puzzle template.

    Args:
        repo_id (`str`): `"org/name"`; the name is the model-index name.
        config (`PretrainedConfig`): The model's `TRMPuzzleConfig`.
        num_parameters (`int`): Parameters, embeddings included.
        dtype (`str`): The dtype the weights are stored in, e.g. `"float32"`.
        evaluation (`dict`): From [`load_puzzle_evaluation`].
        training_info (`TrainingInfo`): How the model was trained; its `dataset` names the puzzle.
        plots (`list[str]`): PNG file names shipped next to the card; those in `PLOT_CAPTIONS` are shown.
        limitation (`str`, *optional*): A first, model-specific item for the card's limitations.

    Returns:
        `ModelCard`: the card; `card.save(folder / "README.md")` writes it.
    """
    puzzle = training_info.dataset
    if puzzle not in PUZZLE_DATASETS:
        expected = tuple(PUZZLE_DATASETS)
        raise ValueError(
            f"training_info.json: `dataset` {puzzle!r} is no puzzle; expected one of {expected}."
        )
    ref, results = PUZZLE_DATASETS[puzzle], evaluation["results"]
    card_data = ModelCardData(
        model_name=repo_id.split("/")[-1],
        license="mit",
        library_name="transformers",
        tags=list(PUZZLE_TAGS) + [ref.type],
        metrics=["exact_match", "accuracy"],
        eval_results=puzzle_eval_results(evaluation, puzzle),
    )
    arc = {key: value for key, value in results.get("arc", {}).items() if key.startswith("pass@")}
    return ModelCard.from_template(
        card_data,
        template_path=str(PUZZLE_TEMPLATE_PATH),
        repo_id=repo_id,
        model_name=card_data.model_name,
        puzzle_name=ref.name,
        **_architecture(config, num_parameters),
        seq_len=config.seq_len,
        vocab_size=config.vocab_size,
        puzzle_embedding=(
            f"{config.num_puzzle_identifiers} puzzle identifiers, {config.puzzle_emb_len} positions"
            if config.puzzle_emb_len
            else "none"
        ),
        dtype=dtype,
        limitation=limitation,
        result={
            "dataset": ref.name,
            "split": evaluation["split"],
            "num_examples": str(results["num_examples"]),
            "exact_accuracy": _percent(results["exact_accuracy"]),
            "token_accuracy": _percent(results["token_accuracy"]),
            "exact_accuracy_all_steps": _percent(results["exact_accuracy_all_steps"]),
            "mean_halt_steps": f"{results['mean_halt_steps']:.2f}",
            "exact_accuracy_per_step": ", ".join(_percent(v) for v in results["exact_accuracy_per_step"]),
            "arc": ", ".join(f"{key} {_percent(value)}" for key, value in arc.items()),
        },
        plots=[
            {"file": name, "caption": caption.format(dataset=ref.name)}
            for name, caption in PLOT_CAPTIONS.items()
            if name in plots
        ],
        training=training_info,
        training_runtime=_duration(training_info.train_runtime_s) if training_info.train_runtime_s else None,
    )


__all__ = [
    "BASELINE_SPLITS",
    "DATASETS",
    "EVAL_RESULTS_NAME",
    "PLOT_CAPTIONS",
    "PUZZLE_DATASETS",
    "TRAINING_INFO_NAME",
    "DatasetRef",
    "TrainingInfo",
    "eval_results",
    "load_evaluations",
    "load_puzzle_evaluation",
    "puzzle_eval_results",
    "render_model_card",
    "render_puzzle_model_card",
]
