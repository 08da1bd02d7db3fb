"""GSM8K accuracy: numeric comparison of the final answers of predictions and references.

`evaluate.load` copies this file on its own into its module cache, so it imports only the
standard library, `evaluate` and `datasets`.
"""

import re
from decimal import Decimal

import datasets
import evaluate

_CITATION = """\
@article{cobbe2021gsm8k,
  title={Training Verifiers to Solve Math Word Problems},
  author={Cobbe, Karl and Kosaraju, Vineet and Bavarian, Mohammad and Chen, Mark and Jun, Heewoo and
          Kaiser, Lukasz and Plappert, Matthias and Tworek, Jerry and Hilton, Jacob and Nakano, Reiichiro
          and Hesse, Christopher and Schulman, John},
  journal={arXiv preprint arXiv:2110.14168},
  year={2021}
}
"""

_DESCRIPTION = """\
GSM8K accuracy is the fraction of predictions whose final answer equals the reference's final answer
as a number. The final answer is the first number after the last `####` when the text has one, else
the last number in the text. Numbers are read with thousands separators, currency signs and trailing
zeros removed (`$1,000.00` is 1000), and compared exactly as decimals (`2.50` equals `2.5`).
A prediction without a number is wrong.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): model outputs, e.g. `"<<48/2=24>> <<48+24=72>> #### 72"` or `"72"`.
    references (`list[str]`): reference answers, e.g. a GSM8K `answer` field; as many as predictions.

Returns:
    accuracy (`float`): fraction of predictions whose final answer equals the reference's, in [0, 1].
    num_examples (`int`): number of prediction/reference pairs scored.

Raises:
    ValueError: when predictions and references differ in number (raised by `evaluate`), when there
        is nothing to score, or when a reference has no number.

Examples:
    >>> gsm8k_accuracy = evaluate.load("training/metrics/gsm8k_accuracy")
    >>> gsm8k_accuracy.compute(predictions=["#### 1,000", "$5.00"], references=["1000", "#### 6"])
    {'accuracy': 0.5, 'num_examples': 2}
"""

# A minus sign counts only when it does not follow a word or a closing bracket, so that the
# `5-3` in an equation reads as 5 and 3, not 5 and -3. Thousands separators need groups of three.
_NUMBER = re.compile(r"(?:(?<![\w)\]])-)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|(?:(?<![\w)\]])-)?\.\d+")
_ANSWER_MARKER = "####"


def extract_final_answer(text: str) -> Decimal | None:
    """Read the final numeric answer of a GSM8K-style solution or prediction.

    Args:
        text (`str`): a solution (`"... #### 1,000"`) or free text (`"She pays $5.00."`).

    Returns:
        `Decimal | None`: the first number after the last `####` if the text has the marker, else the
        last number in the text, with thousands separators removed; `None` when there is no number.
    """
    marker = text.rfind(_ANSWER_MARKER)
    if marker >= 0:
        match = _NUMBER.search(text, marker + len(_ANSWER_MARKER))
    else:
        matches = list(_NUMBER.finditer(text))
        match = matches[-1] if matches else None
    if match is None:
        return None
    return Decimal(match.group().replace(",", ""))


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Gsm8kAccuracy(evaluate.Metric):
    """Exact numeric accuracy of final answers for math word problems (GSM8K, SVAMP)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions: list[str], references: list[str]) -> dict[str, float | int]:
        if not predictions:
            raise ValueError("gsm8k_accuracy got no predictions to score")
        correct = 0
        for prediction, reference in zip(predictions, references, strict=True):
            expected = extract_final_answer(reference)
            if expected is None:
                raise ValueError(f"gsm8k_accuracy found no number in the reference {reference!r}")
            correct += extract_final_answer(prediction) == expected
        return {"accuracy": correct / len(predictions), "num_examples": len(predictions)}
