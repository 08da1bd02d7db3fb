"""Model cards and Hub publishing for trained TRM math models (`python -m hub_cards.publish`)."""

from .card import TrainingInfo, load_evaluations, render_model_card

__all__ = ["TrainingInfo", "load_evaluations", "render_model_card"]
