"""The model shipped in `hub_cards/trm-math`: it loads, answers, passes the publish checks, and its card
tells the numbers of its own evaluation JSON. Re-export it (`python -m hub_cards.publish ...`, see the
README) whenever the modeling files change."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from huggingface_hub import ModelCard
from transformers import AutoModel, AutoTokenizer

from hub_cards.publish import check_repo_folder
from modeling_trm import TRMForMathQA

SHIPPED = Path(__file__).resolve().parents[1] / "hub_cards" / "trm-math"


def test_shipped_folder_passes_the_publish_checks() -> None:
    check_repo_folder(SHIPPED)  # card with results, auto_map, byte-identical modeling files, loads, generates
    assert sum(path.stat().st_size for path in SHIPPED.iterdir()) < 60 * 2**20


def test_shipped_model_answers_with_its_tokenizer() -> None:
    model = AutoModel.from_pretrained(SHIPPED).eval()
    tokenizer = AutoTokenizer.from_pretrained(SHIPPED)
    assert isinstance(model, TRMForMathQA) and model.dtype == torch.bfloat16
    inputs = tokenizer(["7 +5 *2 -3 = ?"], add_special_tokens=False, return_tensors="pt")
    out = model.generate(**inputs, return_dict_in_generate=True, output_step_predictions=True)
    assert out.sequences.shape == (1, model.config.answer_length)
    assert out.step_predictions.shape[0] == model.config.halt_max_steps


def test_shipped_card_reports_the_evaluation_json() -> None:
    (evaluation,) = json.loads((SHIPPED / "eval_results.json").read_text())["evaluations"]
    card = ModelCard.load(SHIPPED / "README.md")
    (result, exact) = card.data.eval_results
    assert result.metric_value == evaluation["results"]["accuracy"]
    assert exact.metric_value == evaluation["results"]["exact_match"]
    assert f"| {evaluation['results']['num_examples']} |" in card.text
