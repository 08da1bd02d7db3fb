"""The model shipped in `hub_cards/trm-math`: it passes the publish checks, answers a GSM8K test question
end to end in a fresh process without this package, and its card tells the numbers of its own evaluation
JSON and baselines. Re-export it (`python -m hub_cards.publish ...`, see README) whenever the modeling
files change."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from huggingface_hub import ModelCard
from transformers import AutoTokenizer
from without_package import BLOCK_PROJECT_IMPORTS

from hub_cards.card import over_all_records, overall_accuracy
from hub_cards.publish import check_repo_folder
from training.metrics import load_gsm8k_accuracy

SHIPPED = Path(__file__).resolve().parents[1] / "hub_cards" / "trm-math"
GSM8K_TEST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gsm8k" / "test.jsonl"

# Loads the shipped folder with `trust_remote_code=True` while the package cannot be imported, and answers
# one question: tokenizer -> generate -> decoded answer slots, and the repository's own pipeline.
_ANSWER_WITHOUT_PACKAGE = BLOCK_PROJECT_IMPORTS + textwrap.dedent(
    """
    from transformers import AutoModel, AutoTokenizer, pipeline

    folder, question = sys.argv[1:]
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=True)
    model = AutoModel.from_pretrained(folder, trust_remote_code=True).eval()
    inputs = tokenizer([question], add_special_tokens=False, return_tensors="pt")
    ids = model.generate(**inputs)[0].tolist()
    ids = ids[: ids.index(tokenizer.eos_token_id)] if tokenizer.eos_token_id in ids else ids
    solver = pipeline(model=folder, trust_remote_code=True)
    solved = {decoding: solver(question, decoding=decoding) for decoding in ("model", "calculator")}
    print(json.dumps({"decoded": tokenizer.decode(ids).strip(), "pipeline": solved}))
    """
)


def test_shipped_folder_passes_the_publish_checks() -> None:
    check_repo_folder(SHIPPED)  # card with results, auto_map, pipeline, modeling files, loads, generates
    assert sum(path.stat().st_size for path in SHIPPED.iterdir()) < 60 * 2**20


@pytest.mark.skipif(not GSM8K_TEST.is_file(), reason="GSM8K is not beside the checkout")
def test_fresh_process_answers_a_gsm8k_test_question(tmp_path: Path) -> None:
    config = json.loads((SHIPPED / "config.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(SHIPPED)
    with GSM8K_TEST.open() as lines:  # the first test question the model reads whole
        for line in lines:
            record = json.loads(line)
            if (
                len(tokenizer(record["question"], add_special_tokens=False)["input_ids"])
                <= config["max_question_length"]
            ):
                break
    result = subprocess.run(
        [sys.executable, "-c", _ANSWER_WITHOUT_PACKAGE, str(SHIPPED), record["question"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"HF_HUB_OFFLINE": "1", "PATH": "", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answered = json.loads(result.stdout.strip().splitlines()[-1])
    assert answered["decoded"] and answered["pipeline"]["model"]["text"] == answered["decoded"]
    metric = load_gsm8k_accuracy(keep_in_memory=True)
    reference = record["answer"].rsplit("####", 1)[1].strip()
    scored = metric.compute(predictions=[answered["decoded"]], references=[reference])["accuracy"]
    assert scored in (0.0, 1.0)
    for solved in answered["pipeline"].values():
        assert 1 <= solved["num_steps"] <= config["halt_max_steps"]


def test_shipped_card_reports_the_evaluation_json_and_the_baselines() -> None:
    evaluations = json.loads((SHIPPED / "eval_results.json").read_text())["evaluations"]
    card = ModelCard.load(SHIPPED / "README.md")
    results = [evaluation["results"] for evaluation in evaluations]
    reported = {}
    for entry in card.data.eval_results:
        reported.setdefault(entry.metric_name, []).append(entry.metric_value)
    assert reported["Accuracy (final answer, ACT)"] == [overall_accuracy(r) for r in results]
    calculator = [overall_accuracy(r["calculator"]) for r in results]
    assert reported["Accuracy (calculator decoding, ACT)"] == calculator
    exact = [over_all_records(r, r["exact_match"]) for r in results]
    assert reported["Exact match (answer tokens, ACT)"] == exact
    names = {evaluation["dataset"]["name"] for evaluation in evaluations}
    assert {"gsm8k", "svamp", "word_problems"} <= names
    baselines = json.loads((SHIPPED / "trivial_baselines.json").read_text())
    for name in ("gsm8k/test", "svamp"):
        for score in baselines[name]["scores"].values():
            assert f"{100 * score:.1f}%" in card.text
