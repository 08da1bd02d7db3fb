"""The training arguments: model fields default to the config classes' own defaults."""

from __future__ import annotations

from modeling_trm import TRMConfig, TRMPuzzleConfig
from training.arguments import ModelArguments, PuzzleModelArguments


def test_math_model_arguments_left_unset_build_the_default_config() -> None:
    fields = ModelArguments().config_kwargs()
    default = TRMConfig()
    assert {name: getattr(default, name) for name in fields} == fields


def test_puzzle_model_arguments_differ_from_the_config_only_in_the_sudoku_recipe() -> None:
    fields = PuzzleModelArguments().config_kwargs()
    default = TRMPuzzleConfig()
    differing = {name for name, value in fields.items() if getattr(default, name) != value}
    assert differing == {"mixer", "pos_encoding", "puzzle_emb_lr"}
