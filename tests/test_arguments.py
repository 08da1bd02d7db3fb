"""The training arguments: model fields default to the config classes' own defaults; a saved model takes
the given recursion settings and refuses a different architecture."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from modeling_trm import TRMConfig, TRMForMathQA, TRMPuzzleConfig
from training.arguments import DEFAULT_TOKENIZER, ModelArguments, PuzzleModelArguments, parse_arguments
from training.train import build_model


def test_math_model_arguments_left_unset_build_the_default_config() -> None:
    fields = ModelArguments().config_kwargs()
    default = TRMConfig()
    assert {name: getattr(default, name) for name in fields} == fields


def test_puzzle_model_arguments_differ_from_the_config_only_in_the_sudoku_recipe() -> None:
    fields = PuzzleModelArguments().config_kwargs()
    default = TRMPuzzleConfig()
    differing = {name for name, value in fields.items() if getattr(default, name) != value}
    assert differing == {"mixer", "pos_encoding", "puzzle_emb_lr"}


def save_small_math_model(folder: Path) -> Path:
    """An untrained math model (hidden 32, N_sup = 2) with the shipped tokenizer."""
    tokenizer = AutoTokenizer.from_pretrained(DEFAULT_TOKENIZER)
    config = TRMConfig(vocab_size=len(tokenizer), hidden_size=32, num_heads=4, halt_max_steps=2)
    TRMForMathQA(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_the_given_model_fields_are_those_of_the_yaml_and_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("hidden_size: 48\nlearning_rate: 0.001\n")
    model_args, _, _ = parse_arguments(
        ["--config", str(config), "--L_cycles=3", "--halt_max_steps", "1", "--output_dir", str(tmp_path)]
    )
    assert model_args.given_fields == {"hidden_size", "L_cycles", "halt_max_steps"}
    assert "given_fields" not in model_args.config_kwargs()


def test_a_saved_model_takes_the_given_recursion_settings_and_keeps_the_rest(tmp_path: Path, caplog) -> None:
    saved = save_small_math_model(tmp_path / "saved")
    model_args, _, _ = parse_arguments(
        ["--model_name_or_path", str(saved), "--halt_max_steps", "1", "--L_cycles", "3", "--output_dir", "x"]
    )
    with caplog.at_level(logging.WARNING):
        model = build_model(model_args, AutoTokenizer.from_pretrained(saved))
    assert (model.config.halt_max_steps, model.config.L_cycles) == (1, 3)
    assert model.config.hidden_size == 32  # not given: the saved value, not the argument's default
    assert f"{saved}: halt_max_steps=1 replaces the saved 2." in caplog.text


def test_a_saved_model_refuses_a_different_architecture(tmp_path: Path) -> None:
    saved = save_small_math_model(tmp_path / "saved")
    model_args, _, _ = parse_arguments(
        ["--model_name_or_path", str(saved), "--hidden_size", "64", "--output_dir", "x"]
    )
    with pytest.raises(
        ValueError, match=r"saved: the saved model has hidden_size=32, and hidden_size=64 was"
    ):
        build_model(model_args, AutoTokenizer.from_pretrained(saved))
