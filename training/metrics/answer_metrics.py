"""`compute_metrics` for math training: the three scores of predicted answers, each from its own home."""

from __future__ import annotations

import numpy as np
from transformers import EvalPrediction, PreTrainedTokenizerBase

from ..data.collator import decode_answers
from .gsm8k_accuracy import load_gsm8k_accuracy
from .string_exact_match import string_exact_matches
from .token_match import token_exact_match


class AnswerScorer:
    """`compute_metrics` for the Trainer: numeric (GSM8K-style) accuracy, token exact match and string
    exact match (the whole decoded answer, the Mathematics Dataset's metric: `"3/16"` does not answer
    `"-5/16"`, which numeric accuracy reads as 16 both).

    Args:
        tokenizer (`PreTrainedTokenizerBase`): Decodes predicted and reference answers.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase) -> None:
        self.tokenizer = tokenizer
        self.metric = load_gsm8k_accuracy(keep_in_memory=True)

    def __call__(self, eval_prediction: EvalPrediction) -> dict[str, float]:
        """Score the Trainer's evaluation.

        Args:
            eval_prediction (`EvalPrediction`): `predictions` and `label_ids` of shape
                `(num_examples, answer_length)`.

        Returns:
            `dict[str, float]`: `accuracy` (numeric), `exact_match` (every labelled answer slot right)
            and `string_exact_match` (the decoded answer is the reference string).
        """
        predictions, labels = np.asarray(eval_prediction.predictions), np.asarray(eval_prediction.label_ids)
        predicted = decode_answers(self.tokenizer, predictions)
        references = decode_answers(self.tokenizer, labels)
        scores = self.metric.compute(predictions=predicted, references=references)
        return {
            "accuracy": scores["accuracy"],
            "exact_match": float(token_exact_match(predictions, labels).mean()),
            "string_exact_match": float(string_exact_matches(predicted, references).mean()),
        }
