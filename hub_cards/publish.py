"""Build the Hub repository folder of a trained TRM model (math or puzzles) and push it in one commit.

    python -m hub_cards.publish --model-dir outputs/trm-math --repo-id ORG/trm-math [--push] [--private]

The folder (default `hub_cards/<NAME>`, relative to the working directory) gets the weights re-saved
with `save_pretrained` (`config.json` with `auto_map`, `model.safetensors`, `generation_config.json`),
the modeling files copied byte for byte from the installed `modeling_trm` package (config.json maps
them: `auto_map`), the evaluation JSON and its plots, `training_info.json`, and the model card as
`README.md`. A math model (`TRMForMathQA`) also gets its tokenizer and the pipeline and calculator
files (`custom_pipelines`); a puzzle model (`TRMForPuzzles`) needs no tokenizer, and its card is read
from the evaluation JSON of `training/evaluate_puzzles.py`. Which one a folder holds is read from its
config. It is built under a temporary name beside it, checked (card with evaluation results, weights
that load completely and generate), and only then moved into place, so a refused build leaves no
folder behind; with `--push` it is uploaded with `HfApi.upload_folder` (token from `HF_TOKEN` or
`hf auth login`). Arguments can also come from one JSON or YAML file:
`python -m hub_cards.publish args.yaml`.
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
import tempfile
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path

import torch
import yaml
from huggingface_hub import HfApi, ModelCard
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
from transformers import (
    AutoTokenizer,
    HfArgumentParser,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

import modeling_trm
from modeling_trm import MATH_QA_TASK, TRMForMathQA, TRMForPuzzles, TRMMathQAPipeline, TRMPreTrainedModel
from modeling_trm.loading import check_tokenizer_matches, load_saved_model

from .card import (
    BASELINE_SPLITS,
    EVAL_RESULTS_NAME,
    EXAMPLE_QUESTION,
    PLOT_CAPTIONS,
    TRAINING_INFO_NAME,
    TrainingInfo,
    load_evaluations,
    load_puzzle_evaluation,
    render_model_card,
    render_puzzle_model_card,
)


@dataclass(frozen=True)
class RepoKind:
    """What the repository of one TRM head holds.

    Args:
        model_class (`type[TRMPreTrainedModel]`): The head.
        modeling_files (`tuple[str, ...]`): Files of the `modeling_trm` package the repository ships.
        auto_map (`dict[str, str]`): The `auto_map` its `config.json` must have.
        custom_pipelines (`dict`, *optional*): The `custom_pipelines` its `config.json` must have.
    """

    model_class: type[TRMPreTrainedModel]
    modeling_files: tuple[str, ...]
    auto_map: dict[str, str]
    custom_pipelines: dict | None = None


MATH_REPO = RepoKind(
    model_class=TRMForMathQA,
    modeling_files=("configuration_trm.py", "modeling_trm.py", "pipeline_trm.py", "calculator.py"),
    auto_map={"AutoConfig": "configuration_trm.TRMConfig", "AutoModel": "modeling_trm.TRMForMathQA"},
    custom_pipelines={MATH_QA_TASK: {"impl": "pipeline_trm.TRMMathQAPipeline", "pt": ["AutoModel"]}},
)
PUZZLE_REPO = RepoKind(
    model_class=TRMForPuzzles,
    modeling_files=("configuration_trm.py", "modeling_trm.py"),
    auto_map={"AutoConfig": "configuration_trm.TRMPuzzleConfig", "AutoModel": "modeling_trm.TRMForPuzzles"},
)
REPO_KINDS = {kind.model_class.config_class.model_type: kind for kind in (MATH_REPO, PUZZLE_REPO)}
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
BASELINES_NAME = "trivial_baselines.json"
TEXT_SUFFIXES = (".json", ".md", ".py", ".txt", ".jinja")


class PublishError(Exception):
    """A repository folder that must not be built or pushed; the message says why."""


@dataclass
class PublishArguments:
    """What to publish, where to build it, and whether to push it."""

    model_dir: str = field(
        metadata={
            "help": "Trained model folder: weights, config, `training_info.json`, usually the tokenizer."
        }
    )
    repo_id: str = field(metadata={"help": "Hub repository `ORG/NAME`."})
    out: str | None = field(
        default=None,
        metadata={"help": "Folder to build; defaults to `hub_cards/NAME`; must be empty unless --overwrite."},
    )
    eval_json: str | None = field(
        default=None,
        metadata={
            "help": f"Evaluation JSON (plots are read next to it); defaults to MODEL_DIR/{EVAL_RESULTS_NAME}."
        },
    )
    tokenizer: str | None = field(
        default=None, metadata={"help": "Math models: tokenizer folder; defaults to MODEL_DIR."}
    )
    baselines_json: str | None = field(
        default=None,
        metadata={
            "help": "Math models: the JSON of `python -m training.metrics.trivial_baselines --json`; the "
            "card tables its baselines beside the model's GSM8K and SVAMP accuracy, and ships it as "
            f"{BASELINES_NAME}."
        },
    )
    dtype: str | None = field(
        default=None,
        metadata={"help": f"Store the weights in this dtype, one of {tuple(DTYPES)}; default: as saved."},
    )
    overwrite: bool = field(
        default=False, metadata={"help": "Replace the files of a non-empty OUT (it must hold no folders)."}
    )
    example_question: str = field(
        default=EXAMPLE_QUESTION,
        metadata={
            "help": "Math models: the question of the card's usage example; it must fit max_question_length."
        },
    )
    limitation: str | None = field(
        default=None, metadata={"help": "A model-specific first item for the card's limitations."}
    )
    push: bool = field(default=False, metadata={"help": "Upload the folder to the Hub in one commit."})
    private: bool = field(default=False, metadata={"help": "Create the repository as private."})

    def __post_init__(self) -> None:
        # Values from an arguments file arrive as written (argparse converts the command line only).
        for name, hint in typing.get_type_hints(type(self)).items():
            allowed = typing.get_args(hint) or (hint,)
            value = getattr(self, name)
            if not isinstance(value, allowed):
                expected = " or ".join("null" if kind is type(None) else kind.__name__ for kind in allowed)
                raise ValueError(f"`{name}` must be {expected}, got {value!r}.")
        if not Path(self.model_dir).is_dir():
            raise ValueError(f"`model_dir` {self.model_dir!r}: no such folder.")
        if self.repo_id.count("/") != 1 or not all(self.repo_id.split("/")):
            raise ValueError(f"`repo_id` must be `ORG/NAME`, got {self.repo_id!r}.")
        if self.dtype is not None and self.dtype not in DTYPES:
            raise ValueError(f"`dtype` must be one of {tuple(DTYPES)}, got {self.dtype!r}.")
        if self.out is None:
            self.out = str(Path("hub_cards") / self.repo_id.split("/")[1])
        if self.eval_json is None:
            self.eval_json = str(Path(self.model_dir) / EVAL_RESULTS_NAME)
        if self.tokenizer is None:
            self.tokenizer = self.model_dir


def repo_kind(folder: str | Path) -> RepoKind:
    """The kind of repository a saved model folder makes, read from its `config.json` `model_type`.

    Args:
        folder (`str | Path`): A saved model folder.

    Returns:
        [`RepoKind`]: `MATH_REPO` or `PUZZLE_REPO`.
    """
    config_file = Path(folder) / "config.json"
    try:
        model_type = json.loads(config_file.read_text()).get("model_type")
    except (OSError, json.JSONDecodeError) as error:
        raise PublishError(f"{config_file}: the model config fails to load ({error})") from error
    if model_type not in REPO_KINDS:
        raise PublishError(f"{config_file}: model_type {model_type!r}; publishable are {tuple(REPO_KINDS)}.")
    return REPO_KINDS[model_type]


def load_model(path: str | Path, kind: RepoKind, dtype: torch.dtype | str = "auto") -> PreTrainedModel:
    """Load a TRM model of `kind` and refuse anything but a complete, exact load (`load_saved_model`).

    Args:
        path (`str | Path`): A saved model folder.
        kind (`RepoKind`): What the folder must hold.
        dtype (`torch.dtype | str`, *optional*, defaults to `"auto"`): Load in this dtype; `"auto"`: as saved.

    Returns:
        `PreTrainedModel`: the model, in eval mode.
    """
    try:
        return load_saved_model(path, kind.model_class, dtype).eval()
    except (OSError, ValueError) as error:
        raise PublishError(str(error)) from error


def _check_out(out: Path, overwrite: bool) -> None:
    """Refuse to replace a non-empty `out` without `overwrite`, or one holding folders."""
    if not out.exists() or not any(out.iterdir()):
        return
    if not overwrite:
        raise PublishError(f"{out} exists and is not empty; pass --overwrite to replace its files.")
    folders = [entry.name for entry in out.iterdir() if entry.is_dir()]
    if folders:
        raise PublishError(f"{out} holds folders {folders}; a repository folder built here has none.")


def _move_into_place(built: Path, out: Path) -> None:
    """Replace `out` (its files, checked by `_check_out`) with the folder `built`."""
    if out.exists():
        for entry in out.iterdir():
            entry.unlink()
        out.rmdir()
    built.rename(out)


def build_repo_folder(args: PublishArguments) -> list[str]:
    """Build the repository folder `args.out` from `args.model_dir` and check it (`check_repo_folder`).

    Everything is read and checked before anything is written; the folder is built and checked under a
    temporary name beside `args.out` and moved into place last, so that a refused or failed build leaves
    no folder that passes for a built one.

    Args:
        args (`PublishArguments`): Parsed arguments.

    Returns:
        `list[str]`: the file names in the folder.
    """
    model_dir, out, eval_json = Path(args.model_dir), Path(args.out), Path(args.eval_json)
    for path in (eval_json, model_dir / TRAINING_INFO_NAME):
        if not path.is_file():
            raise PublishError(f"{path} does not exist; the card is built from it.")
    training_info = TrainingInfo.load(model_dir / TRAINING_INFO_NAME)
    kind = repo_kind(model_dir)
    model = load_model(model_dir, kind, DTYPES[args.dtype] if args.dtype else "auto")
    card_arguments = dict(
        repo_id=args.repo_id,
        config=model.config,
        num_parameters=model.num_parameters(),
        dtype=str(model.dtype).removeprefix("torch."),
        training_info=training_info,
        limitation=args.limitation,
    )
    if kind is MATH_REPO:
        evaluations = load_evaluations(eval_json)
        if not evaluations:
            raise PublishError(
                f"{eval_json} holds no evaluation results; evaluate the model before publishing."
            )
        tokenizer = _load_math_tokenizer(args, model.config)
        baselines = _load_baselines(args.baselines_json) if args.baselines_json else None
        render_card = functools.partial(
            render_model_card,
            evaluations=evaluations,
            example_question=args.example_question,
            baselines=baselines,
        )
    else:
        render_card = functools.partial(
            render_puzzle_model_card, evaluation=load_puzzle_evaluation(eval_json)
        )
    _check_out(out, args.overwrite)

    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.building.", dir=out.parent))
    try:
        if kind is MATH_REPO:
            # Saving the pipeline saves the model and tokenizer, writes `custom_pipelines` into config.json
            # and copies the pipeline's code, so that `pipeline(model=repo, trust_remote_code=True)` works.
            TRMMathQAPipeline(model=model, tokenizer=tokenizer).save_pretrained(building)
        else:
            model.save_pretrained(building)
        # save_pretrained copies the modeling files too; copy them from the package explicitly so the
        # repository always runs the code this package was tested with.
        package_dir = Path(modeling_trm.__file__).parent
        for name in kind.modeling_files:
            shutil.copyfile(package_dir / name, building / name)
        plots = [name for name in PLOT_CAPTIONS if (eval_json.parent / name).is_file()]
        for name in plots:
            shutil.copyfile(eval_json.parent / name, building / name)
        (building / EVAL_RESULTS_NAME).write_text(
            json.dumps(_named_by_repo_id(eval_json, args.repo_id), indent=2) + "\n"
        )
        shutil.copyfile(model_dir / TRAINING_INFO_NAME, building / TRAINING_INFO_NAME)
        if args.baselines_json:
            shutil.copyfile(args.baselines_json, building / BASELINES_NAME)
        render_card(**card_arguments, plots=plots).save(building / "README.md")
        local_dirs = {Path.cwd(), Path.home(), model_dir, eval_json.parent, Path(args.tokenizer)}
        _refuse_machine_paths(building, local_dirs, out)
        check_repo_folder(building)
        _move_into_place(building, out)
    finally:
        if building.exists():
            shutil.rmtree(building)
    return sorted(path.name for path in out.iterdir())


def _load_baselines(path: str) -> dict:
    """The trivial baselines JSON, refused unless it holds scores for GSM8K test or SVAMP."""
    try:
        baselines = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise PublishError(f"--baselines_json {path}: {error}") from error
    if not any(
        isinstance(baselines.get(name), dict) and "scores" in baselines[name] for name in BASELINE_SPLITS
    ):
        raise PublishError(
            f"--baselines_json {path}: expected the output of `python -m training.metrics.trivial_baselines "
            f"--json`, with `scores` under {tuple(BASELINE_SPLITS)}."
        )
    return baselines


def _load_math_tokenizer(args: PublishArguments, config: PretrainedConfig) -> PreTrainedTokenizerBase:
    """The tokenizer of `args.tokenizer`, refused unless it belongs to the model and fits the example."""
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    # Loading records `local_files_only` (true when publishing offline); the repository must not carry it.
    tokenizer.init_kwargs.pop("local_files_only", None)
    try:
        check_tokenizer_matches(tokenizer, config, args.tokenizer, args.model_dir)
    except ValueError as error:
        raise PublishError(str(error)) from error
    example_length = len(tokenizer(args.example_question)["input_ids"])
    if example_length > config.max_question_length:
        raise PublishError(
            f"The example question has {example_length} tokens, more than the model's "
            f"max_question_length={config.max_question_length}; pass --example-question."
        )
    return tokenizer


def _named_by_repo_id(eval_json: Path, repo_id: str) -> dict:
    """The evaluation JSON with its `model` fields (the evaluated local path) set to the repository id,
    and a puzzle evaluation's `dataset_dir` (a local path too) cut to the folder's name."""
    data = json.loads(eval_json.read_text())
    if "dataset_dir" in data:
        data["dataset_dir"] = Path(data["dataset_dir"]).name
    if "evaluations" in data:
        data["evaluations"] = [
            {**evaluation, "model": repo_id} if "model" in evaluation else evaluation
            for evaluation in data["evaluations"]
        ]
    return {**data, "model": repo_id} if "model" in data else data


def _refuse_machine_paths(folder: Path, local_dirs: set[Path], out: Path) -> None:
    """Refuse text files in `folder` (to become `out`) that name this machine's folders (a training
    command with absolute paths)."""
    needles = {str(path.resolve()) for path in local_dirs} - {"/"}
    leaks = [
        f"{path.name} names {needle}"
        for path in sorted(folder.iterdir())
        if path.suffix in TEXT_SUFFIXES
        for needle in sorted(needles)
        if needle in path.read_text()
    ]
    if leaks:
        raise PublishError(
            f"{out} would publish paths of this machine ({'; '.join(leaks)}); use relative paths in "
            f"{TRAINING_INFO_NAME} and the evaluation JSON."
        )


def check_repo_folder(folder: str | Path) -> None:
    """Refuse a repository folder that would publish a broken model or a card without results.

    Checks that the card has model-index evaluation results, that `config.json` maps the Auto
    classes (and, for math, the pipeline) to the shipped modeling files, that those equal the
    installed package's, and that the weights load completely and answer a question (math: tokenized
    by the folder's tokenizer) or a grid (puzzles) with finite logits.

    Args:
        folder (`str | Path`): The repository folder.
    """
    folder = Path(folder)
    readme = folder / "README.md"
    if not readme.is_file():
        raise PublishError(f"{folder} has no README.md model card.")
    try:
        card = ModelCard.load(readme)
    except ValueError as error:
        raise PublishError(f"The card {readme} has invalid metadata: {error}") from error
    if not card.data.eval_results:
        raise PublishError(f"The card {readme} has no evaluation results (model-index); refusing to publish.")
    kind = repo_kind(folder)
    config = json.loads((folder / "config.json").read_text())
    auto_map = config.get("auto_map", {})
    if any(auto_map.get(key) != value for key, value in kind.auto_map.items()):
        raise PublishError(f"{folder / 'config.json'} has auto_map {auto_map}, expected {kind.auto_map}.")
    if config.get("custom_pipelines") != kind.custom_pipelines:
        raise PublishError(
            f"{folder / 'config.json'} has custom_pipelines {config.get('custom_pipelines')}, "
            f"expected {kind.custom_pipelines}."
        )
    package_dir = Path(modeling_trm.__file__).parent
    for name in kind.modeling_files:
        if (folder / name).read_bytes() != (package_dir / name).read_bytes():
            raise PublishError(f"{folder / name} differs from the installed package's {name}.")

    model = load_model(folder, kind)
    if kind is MATH_REPO:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        input_ids = tokenizer(EXAMPLE_QUESTION, return_tensors="pt")["input_ids"]
        input_ids = input_ids[:, : model.config.max_question_length]
        if int(input_ids.max()) >= model.config.vocab_size:
            raise PublishError(
                f"The tokenizer produces id {int(input_ids.max())} but the model's vocab_size is "
                f"{model.config.vocab_size}; the tokenizer does not belong to this model."
            )
        output_length = model.config.answer_length
    else:
        input_ids = torch.zeros(1, model.config.seq_len, dtype=torch.long)  # a grid of pad tokens
        output_length = model.config.seq_len
    with torch.no_grad():
        logits = model(input_ids).logits
        answer = model.generate(input_ids)
    if not torch.isfinite(logits).all():
        raise PublishError(f"The model in {folder} produces non-finite logits.")
    if tuple(answer.shape) != (1, output_length):
        raise PublishError(f"`generate` returned shape {tuple(answer.shape)}, expected (1, {output_length}).")


def push_repo_folder(folder: str | Path, repo_id: str, private: bool) -> str:
    """Validate the card with the Hub, create the repository if needed and upload the folder in one commit.

    Args:
        folder (`str | Path`): A folder that passed [`check_repo_folder`].
        repo_id (`str`): `"org/name"`.
        private (`bool`): Create the repository as private (an existing one keeps its visibility).

    Returns:
        `str`: the commit URL.
    """
    folder = Path(folder)
    api = HfApi()
    try:
        ModelCard.load(folder / "README.md").validate()
        # `None` keeps the Hub's default visibility (an organization may default to private).
        api.create_repo(repo_id, exist_ok=True, private=True if private else None)
        commit = api.upload_folder(
            repo_id=repo_id,
            folder_path=folder,
            commit_message=f"Upload {repo_id.split('/')[1]}: TRM weights, tokenizer, modeling code and card",
        )
    except (HfHubHTTPError, OfflineModeIsEnabled, ValueError) as error:
        raise PublishError(f"Pushing {folder} to {repo_id} failed: {error}") from error
    return commit.commit_url


def parse_arguments(argv: list[str] | None = None) -> PublishArguments:
    """Parse the command line, or one JSON or YAML file of arguments.

    Args:
        argv (`list[str]`, *optional*): Arguments without the program name; default `sys.argv[1:]`.

    Returns:
        `PublishArguments`: the parsed arguments.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = HfArgumentParser(PublishArguments)
    if len(argv) == 1 and argv[0].endswith((".json", ".yaml", ".yml")):
        return _parse_arguments_file(parser, Path(argv[0]))
    (args,) = parser.parse_args_into_dataclasses(args=argv)
    return args


def _parse_arguments_file(parser: HfArgumentParser, path: Path) -> PublishArguments:
    """`PublishArguments` from a JSON or YAML mapping; every error names the file (and the key)."""
    try:
        text = path.read_text()
        values = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: not valid {path.suffix.lstrip('.').upper()} ({error})") from error
    if not isinstance(values, dict):
        raise ValueError(
            f"{path}: expected a mapping of argument names to values, not {type(values).__name__}."
        )
    known = [item.name for item in fields(PublishArguments)]
    unknown = [name for name in values if name not in known]
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown}; the arguments are {known}.")
    try:
        (args,) = parser.parse_dict(values)
    except (TypeError, ValueError) as error:  # TypeError: a required argument is missing
        raise ValueError(f"{path}: {error}") from error
    return args


def main(argv: list[str] | None = None) -> int:
    """Build, check and optionally push; print a summary.

    Args:
        argv (`list[str]`, *optional*): Arguments without the program name; default `sys.argv[1:]`.

    Returns:
        `int`: the exit status, 1 when publishing was refused.
    """
    try:
        args = parse_arguments(argv)
        files = build_repo_folder(args)
        url = push_repo_folder(args.out, args.repo_id, args.private) if args.push else None
    except (PublishError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Built {args.out} for {args.repo_id}: {', '.join(files)}")
    print(f"Pushed: {url}" if url else "Not pushed (pass --push to upload).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
