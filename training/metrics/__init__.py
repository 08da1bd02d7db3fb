"""Scores of predictions, one home per meaning, each with its own name:

- token exact match (`token_match.token_exact_match`): every labelled position right (answer slots or
  grid cells), and token accuracy, the fraction of labelled positions right;
- string exact match (`string_exact_match.string_exact_matches`): the decoded answer is the reference
  string, character for character;
- GSM8K accuracy (`gsm8k_accuracy`): the final numbers compared as decimals, an `evaluate` module
  loadable from a local path (no network).

`AnswerScorer` (math) and `grid_accuracy` (puzzles) are the Trainer's `compute_metrics` built on them;
`StepMetrics` gathers the per-supervision-step training metrics.
"""

from .answer_metrics import AnswerScorer
from .grid_metrics import grid_accuracy, grid_scores
from .gsm8k_accuracy import GSM8K_ACCURACY_PATH, extract_final_answer, load_gsm8k_accuracy
from .step_metrics import StepMetrics
from .string_exact_match import string_exact_matches
from .token_match import IGNORE_INDEX, labelled_token_counts, token_accuracy, token_exact_match

__all__ = [
    "GSM8K_ACCURACY_PATH",
    "IGNORE_INDEX",
    "AnswerScorer",
    "StepMetrics",
    "extract_final_answer",
    "grid_accuracy",
    "grid_scores",
    "labelled_token_counts",
    "load_gsm8k_accuracy",
    "string_exact_matches",
    "token_accuracy",
    "token_exact_match",
]
