"""GSM8K accuracy, packaged as an `evaluate` module loadable from this folder (no network)."""

from pathlib import Path

import evaluate

from .gsm8k_accuracy import extract_final_answer

GSM8K_ACCURACY_PATH: str = str(Path(__file__).resolve().parent)


def load_gsm8k_accuracy(**kwargs) -> evaluate.EvaluationModule:
    """Load the GSM8K accuracy metric from this package, without the network.

    Args:
        **kwargs: passed on to `evaluate.load` (e.g. `experiment_id`, `keep_in_memory`).

    Returns:
        `evaluate.EvaluationModule`: the metric; `compute(predictions=[...], references=[...])` returns
        `{"accuracy": float, "num_examples": int}`.
    """
    return evaluate.load(GSM8K_ACCURACY_PATH, **kwargs)


__all__ = ["GSM8K_ACCURACY_PATH", "extract_final_answer", "load_gsm8k_accuracy"]
