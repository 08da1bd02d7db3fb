"""The GSM8K accuracy `evaluate` module: answer extraction, normalisation, errors, offline loading."""

import socket
from decimal import Decimal

import evaluate
import pytest

from training.metrics import GSM8K_ACCURACY_PATH, extract_final_answer, load_gsm8k_accuracy


@pytest.fixture(scope="module")
def metric() -> evaluate.EvaluationModule:
    return load_gsm8k_accuracy(keep_in_memory=True)


def score(metric: evaluate.EvaluationModule, prediction: str, reference: str) -> float:
    return metric.compute(predictions=[prediction], references=[reference])["accuracy"]


def test_load_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError(f"evaluate.load tried to connect to {args[1:]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    module = evaluate.load(GSM8K_ACCURACY_PATH, keep_in_memory=True)
    assert module.compute(predictions=["#### 3"], references=["3"]) == {"accuracy": 1.0, "num_examples": 1}


@pytest.mark.parametrize(
    ("prediction", "reference"),
    [
        ("#### 1,000", "1000"),
        ("$5.00", "5"),
        ("The temperature fell to -3 degrees.", "#### -3"),
        ("2.50", "2.5"),
        ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", "72"),
        ("She has 72.", "#### 72"),
    ],
)
def test_equal_numbers_in_different_forms_match(
    metric: evaluate.EvaluationModule, prediction: str, reference: str
) -> None:
    assert score(metric, prediction, reference) == 1.0


def test_different_numbers_do_not_match(metric: evaluate.EvaluationModule) -> None:
    assert score(metric, "#### 1,001", "1000") == 0.0


def test_prediction_without_a_number_is_wrong_not_an_error(metric: evaluate.EvaluationModule) -> None:
    assert score(metric, "I do not know.", "#### 4") == 0.0
    assert extract_final_answer("I do not know.") is None


def test_without_marker_the_last_number_is_the_answer() -> None:
    assert extract_final_answer("3 boxes of 4 apples make 12 apples") == Decimal(12)


def test_marker_takes_the_first_number_after_the_last_marker() -> None:
    assert extract_final_answer("#### 5 is wrong, 7 is not\n#### 9 apples, 2 left") == Decimal(9)
    assert extract_final_answer("the answer is 5 ####") is None


def test_minus_inside_an_equation_is_not_a_sign() -> None:
    assert extract_final_answer("10-3") == Decimal(3)
    assert extract_final_answer("(2+4)-1") == Decimal(1)
    assert extract_final_answer("x = -1.5") == Decimal("-1.5")


def test_commas_between_separate_numbers_are_not_thousands_separators() -> None:
    assert extract_final_answer("1,2") == Decimal(2)
    assert extract_final_answer("12,345,678.90") == Decimal("12345678.9")


def test_accuracy_is_the_fraction_of_right_answers(metric: evaluate.EvaluationModule) -> None:
    result = metric.compute(predictions=["#### 1", "2", "none", "4"], references=["1", "#### 2", "3", "5"])
    assert result == {"accuracy": 0.5, "num_examples": 4}


def test_empty_inputs_are_rejected(metric: evaluate.EvaluationModule) -> None:
    with pytest.raises(ValueError, match="no predictions"):
        metric.compute(predictions=[], references=[])


def test_reference_without_a_number_is_rejected(metric: evaluate.EvaluationModule) -> None:
    with pytest.raises(ValueError, match="no number in the reference"):
        metric.compute(predictions=["1"], references=["unknown"])


@pytest.mark.parametrize(("num_predictions", "num_references"), [(2, 1), (1, 2), (1, 0)])
def test_mismatched_lengths_raise_a_clear_error(
    metric: evaluate.EvaluationModule, num_predictions: int, num_references: int
) -> None:
    message = (
        rf"Mismatch in the number of predictions \({num_predictions}\)"
        rf" and references \({num_references}\)"
    )
    with pytest.raises(ValueError, match=message):
        metric.compute(predictions=["1"] * num_predictions, references=["1"] * num_references)
