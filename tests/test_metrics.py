"""Scores of predictions, one meaning per name: token exact match (every labelled position right),
token accuracy, string exact match (decoded answers) and GSM8K accuracy (numbers)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, EvalPrediction

from tokenization import DEFAULT_TOKENIZER_PATH
from training.metrics import (
    IGNORE_INDEX,
    AnswerScorer,
    extract_final_answer,
    grid_accuracy,
    grid_scores,
    string_exact_matches,
    token_accuracy,
    token_exact_match,
)


def test_token_exact_match_ignores_unlabelled_positions_in_tensors_and_arrays() -> None:
    labels = [[2, 3, IGNORE_INDEX], [4, 5, 6], [IGNORE_INDEX] * 3]
    predictions = [[2, 3, 7], [4, 1, 6], [1, 1, 1]]
    expected = [True, False, True]
    assert token_exact_match(torch.tensor(predictions), torch.tensor(labels)).tolist() == expected
    assert token_exact_match(np.array(predictions), np.array(labels)).tolist() == expected
    assert token_accuracy(torch.tensor(predictions), torch.tensor(labels)) == 4 / 5
    assert token_accuracy(np.array(predictions), np.array(labels)) == 4 / 5


def test_grid_scores_count_only_labelled_cells_in_tensors_and_trainer_predictions() -> None:
    labels = [[2, 3, IGNORE_INDEX], [4, 5, 6]]
    predictions = [[2, 3, 7], [4, 1, 6]]
    expected = {"exact_accuracy": 0.5, "token_accuracy": 4 / 5}
    assert grid_scores(torch.tensor(predictions), torch.tensor(labels)) == expected
    evaluation = EvalPrediction(predictions=np.array(predictions), label_ids=np.array(labels))
    assert grid_accuracy(evaluation) == expected


def test_string_exact_match_compares_whole_strings_not_numbers() -> None:
    predictions = ["-5/16", "2.0", "2", " 2", "4.62196"]
    references = ["-5/16", "2", "2", "2", "-4.62196"]
    assert string_exact_matches(predictions, references).tolist() == [True, False, True, False, False]
    # GSM8K's numeric reading would count "2.0" as "2": the two metrics are different on purpose.
    assert extract_final_answer("2.0") == extract_final_answer("2")
    with pytest.raises(ValueError):
        string_exact_matches(["1"], ["1", "2"])


def test_trainer_metrics_score_fractions_by_string_where_numeric_accuracy_misreads_them() -> None:
    tokenizer = AutoTokenizer.from_pretrained(DEFAULT_TOKENIZER_PATH)

    def slots(answers: list[str]) -> np.ndarray:
        ids = [
            tokenizer(answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
            for answer in answers
        ]
        return np.array([row + [-100] * (8 - len(row)) for row in ids])

    predictions, labels = slots(["3/16", "-5/16"]), slots(["-5/16", "-5/16"])
    scores = AnswerScorer(tokenizer)(EvalPrediction(predictions=predictions, label_ids=labels))
    # Numeric accuracy reads the last number of each, 16, so it counts "3/16" as right.
    assert scores["accuracy"] == 1.0 and scores["string_exact_match"] == 0.5 == scores["exact_match"]
