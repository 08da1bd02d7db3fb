"""`TrainingClock`: training minutes without the evaluations, and the `--max_train_minutes` budget."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from test_trainer import make_trainer
from transformers import TrainerControl, TrainerState

from training import trainer as trainer_module
from training.arguments import parse_puzzle_arguments
from training.trainer import TrainingClock


def test_evaluations_do_not_count_and_the_budget_stops_with_a_last_evaluation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [0.0]
    monkeypatch.setattr(trainer_module.time, "perf_counter", lambda: now[0])
    clock = TrainingClock(max_minutes=0.05)  # 3 s
    args, state, control = SimpleNamespace(eval_strategy="steps"), TrainerState(), TrainerControl()
    clock.on_train_begin(args, state, control)
    now[0] = 2.0
    clock.on_step_end(args, state, control)
    now[0] = 10.0
    clock.on_evaluate(args, state, control)  # 8 s of evaluation after the step ending at 2 s
    now[0] = 10.5
    clock.on_step_end(args, state, control)
    assert clock.train_minutes() == pytest.approx(2.5 / 60) and clock.eval_minutes() == pytest.approx(8 / 60)
    assert not control.should_training_stop
    now[0] = 11.0
    clock.on_step_end(args, state, control)
    assert control.should_training_stop and control.should_evaluate
    clock.on_train_end(args, state, control)
    now[0] = 20.0
    clock.on_evaluate(args, state, control)  # an evaluation after training is not training's
    assert clock.train_minutes() == pytest.approx(3 / 60) and clock.eval_minutes() == pytest.approx(8 / 60)


def test_the_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_train_minutes"):
        TrainingClock(max_minutes=0.0)


def test_max_train_minutes_reaches_the_trainer() -> None:
    argv = ["--dataset_dir", "unused", "--output_dir", "unused", "--max_train_minutes", "5"]
    _, _, training_args = parse_puzzle_arguments(argv)
    assert training_args.trainer_kwargs()["max_train_minutes"] == 5.0


def test_a_spent_budget_stops_training_after_an_evaluated_step(tmp_path: Path) -> None:
    trainer = make_trainer(
        tmp_path,
        max_steps=40,
        eval_strategy="steps",
        eval_steps=100,
        trainer_kwargs={"max_train_minutes": 1e-9},
    )
    trainer.train()
    assert trainer.state.global_step == 1
    (evaluated,) = [entry for entry in trainer.state.log_history if "eval_runtime" in entry]
    assert evaluated["step"] == 1 and evaluated["train_minutes"] > 0
