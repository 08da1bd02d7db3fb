"""Model cards and Hub publishing for trained TRM models, math and puzzles (`python -m hub_cards.publish`)."""

from .card import (
    TrainingInfo,
    load_evaluations,
    load_puzzle_evaluation,
    render_model_card,
    render_puzzle_model_card,
)

__all__ = [
    "TrainingInfo",
    "load_evaluations",
    "load_puzzle_evaluation",
    "render_model_card",
    "render_puzzle_model_card",
]
