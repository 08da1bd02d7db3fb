"""TRMTrainer: slot feeding, exact resume, EMA, on a tiny synthetic task."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path

import datasets
import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerControl, TrainerState, TrainingArguments

from modeling_trm import TRMConfig, TRMForMathQA, TRMForPuzzles, TRMPuzzleConfig
from training.ema import EMACallback
from training.trainer import TRMTrainer

NUM_EXAMPLES = 40


def sums_dataset() -> datasets.Dataset:
    """`a + b` for digits a, b: question `[a, +, b]`, answer `[tens, ones, eos]` (ids offset by 4)."""
    generator = torch.Generator().manual_seed(0)
    a, b = torch.randint(0, 10, (2, NUM_EXAMPLES), generator=generator).tolist()
    return datasets.Dataset.from_list(
        [
            {"input_ids": [4 + x, 3, 4 + y], "labels": [4 + (x + y) // 10, 4 + (x + y) % 10, 2]}
            for x, y in zip(a, b, strict=True)
        ]
    )


def collate(rows: list[dict]) -> dict[str, torch.Tensor]:
    input_ids = torch.tensor([row["input_ids"] for row in rows])
    return {
        "input_ids": input_ids,
        "attention_mask": torch.ones_like(input_ids),
        "labels": torch.tensor([row["labels"] for row in rows]),
    }


def make_trainer(
    output_dir: Path,
    max_steps: int,
    accumulation: int = 1,
    save_steps: int = 500,
    halt_max_steps: int = 3,
    halt_exploration_prob: float = 0.5,
    trainer_kwargs: dict | None = None,
    **training_args,
) -> TRMTrainer:
    torch.manual_seed(0)
    config = TRMConfig(
        vocab_size=16,
        hidden_size=32,
        num_heads=4,
        H_cycles=2,
        L_cycles=2,
        halt_max_steps=halt_max_steps,
        halt_exploration_prob=halt_exploration_prob,
        max_question_length=3,
        answer_length=3,
    )
    args = TrainingArguments(
        output_dir=str(output_dir),
        max_steps=max_steps,
        per_device_train_batch_size=8,
        gradient_accumulation_steps=accumulation,
        learning_rate=3e-3,
        warmup_steps=2,
        weight_decay=0.1,
        adam_beta2=0.95,
        logging_steps=5,
        save_steps=save_steps,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
        **training_args,
    )
    return TRMTrainer(
        model=TRMForMathQA(config),
        args=args,
        train_dataset=sums_dataset(),
        eval_dataset=sums_dataset(),
        data_collator=collate,
        ema_decay=0.9,
        **(trainer_kwargs or {}),
    )


@pytest.mark.parametrize("accumulation", [1, 2])
def test_every_example_enters_a_slot_once_per_epoch(tmp_path: Path, accumulation: int) -> None:
    trainer = make_trainer(tmp_path, max_steps=40, accumulation=accumulation)
    taken: dict[int, list[int]] = defaultdict(list)
    take = trainer.stream.take

    def counting_take(count: int) -> list[int]:
        indices = take(count)
        taken[trainer.stream.epoch].extend(indices)
        return indices

    trainer.stream.take = counting_take
    trainer.train()
    finished_epochs = [epoch for epoch in taken if epoch < trainer.stream.epoch]
    assert len(finished_epochs) >= 2
    for epoch in finished_epochs:
        assert sorted(taken[epoch]) == list(range(NUM_EXAMPLES)), f"epoch {epoch}"
    assert len(set(taken[trainer.stream.epoch])) == len(taken[trainer.stream.epoch])


def test_resuming_gives_the_same_weights_as_not_stopping(tmp_path: Path) -> None:
    straight = make_trainer(tmp_path / "straight", max_steps=16, save_steps=8)
    straight.train()
    checkpoint = tmp_path / "straight" / "checkpoint-8"
    assert (checkpoint / "raw_model.safetensors").exists() and (checkpoint / "slot_state_rank0.pt").exists()

    resumed = make_trainer(tmp_path / "resumed", max_steps=16, save_steps=8)
    resumed.train(resume_from_checkpoint=str(checkpoint))
    for (name, a), b in zip(
        straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name
    final_raw = load_file(tmp_path / "straight" / "checkpoint-16" / "raw_model.safetensors")
    resumed_raw = load_file(tmp_path / "resumed" / "checkpoint-16" / "raw_model.safetensors")
    assert all(torch.equal(final_raw[name], resumed_raw[name]) for name in final_raw)


def test_checkpoint_and_final_model_hold_the_ema_weights(tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, max_steps=10, save_steps=10)
    trainer.train()
    checkpoint = tmp_path / "checkpoint-10"
    ema = load_file(checkpoint / "model.safetensors")
    raw = load_file(checkpoint / "raw_model.safetensors")
    name = "recursion.layers.0.mlp.down_proj.weight"
    assert not torch.equal(ema[name], raw[name])
    assert torch.equal(trainer.model.state_dict()[name], ema[name])


def test_puzzle_embedding_stays_out_of_the_ema(tmp_path: Path) -> None:
    # As in the reference (a buffer there): the model keeps the trained table, and the EMA holds no
    # copy of a puzzle model's largest tensor.
    config = TRMPuzzleConfig(seq_len=4, vocab_size=6, num_puzzle_identifiers=3, hidden_size=8, num_heads=2)
    model = TRMForPuzzles(config)
    start = {name: p.detach().clone() for name, p in model.named_parameters()}
    ema = EMACallback(decay=0.5)
    args = TrainingArguments(output_dir=str(tmp_path), report_to=[])
    state, control = TrainerState(), TrainerControl()
    ema.on_train_begin(args, state, control, model=model)
    with torch.no_grad():  # one "optimizer step" moving every weight by 1
        for p in model.parameters():
            p.add_(1.0)
    ema.on_step_end(args, state, control, model=model)
    ema.on_train_end(args, state, control, model=model)
    for name, p in model.named_parameters():
        moved = 1.0 if name == "puzzle_emb.weight" else 0.5
        torch.testing.assert_close(p.detach(), start[name] + moved, msg=name)


def test_training_logs_the_supervision_metrics(tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, max_steps=10)
    trainer.train()
    logged = trainer.state.log_history[0]
    for key in (
        "loss",
        "lm_loss",
        "q_halt_loss",
        "token_accuracy",
        "exact_accuracy",
        "halt_steps",
        "halting_accuracy",
        "learning_rate",
        "data_epoch",
        "examples_seen",
    ):
        assert key in logged, key
    assert 1 <= logged["halt_steps"] <= 3


def test_trainer_requires_max_steps(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_steps"):
        make_trainer(tmp_path, max_steps=-1)


@pytest.mark.parametrize("name", ["save_strategy", "eval_strategy", "logging_strategy"])
def test_trainer_rejects_epoch_strategies(tmp_path: Path, name: str) -> None:
    # Saving or evaluating at an epoch's end would use the raw weights (the EMA is swapped in at step
    # ends only), and each process ends its epochs at a different step, so what gathers over
    # processes there (logging too) would fall out of step.
    with pytest.raises(ValueError, match=f"TRMTrainer does not support `{name}` 'epoch'"):
        make_trainer(tmp_path, max_steps=10, **{name: "epoch"})


def test_training_with_a_single_supervision_step_runs(tmp_path: Path) -> None:
    # N_sup = 1 leaves no minimum number of steps to draw (it crashed drawing one from 2..1).
    trainer = make_trainer(tmp_path, max_steps=5, halt_max_steps=1)
    trainer.train()
    assert trainer.state.global_step == 5
    assert trainer.state.log_history[0]["halt_steps"] == 1


def answer_every_question_right(trainer: TRMTrainer) -> None:
    """Make the model's logits point at the labels (its loss and halting logits stay its own)."""
    forward = trainer.model.forward

    def right_forward(*args, labels=None, **kwargs):
        outputs = forward(*args, labels=labels, **kwargs)
        outputs.logits = torch.nn.functional.one_hot(labels.clamp(min=0), outputs.logits.shape[-1]).float()
        return outputs

    trainer.model.forward = right_forward


def test_paper_rule_holds_each_example_for_n_sup_steps_until_the_head_halts(tmp_path: Path) -> None:
    # The halting head starts at -5, so every example runs all N_sup = 3 steps: 8 slots, 2 fills in 6 steps.
    trainer = make_trainer(tmp_path, max_steps=6, halt_exploration_prob=0.0)
    answer_every_question_right(trainer)
    trainer.train()
    assert trainer.examples_seen() == 16


def test_supervision_warmup_caps_the_steps_per_example_from_one_to_n_sup(tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, max_steps=6, trainer_kwargs={"supervision_warmup_steps": 20})
    caps = []
    for step in (0, 9, 10, 19, 20, 40):
        trainer.state.global_step = step
        caps.append(trainer.supervision_cap(trainer.model.config))
    assert caps == [1, 1, 2, 2, 3, 3]
    trainer.train()  # the cap is 1 for all 6 steps: every slot takes a fresh example at every step
    assert trainer.examples_seen() == 6 * 8


def test_halt_on_correct_releases_an_example_once_its_answer_is_right(tmp_path: Path) -> None:
    trainer = make_trainer(
        tmp_path, max_steps=6, halt_exploration_prob=0.0, trainer_kwargs={"halt_on_correct": True}
    )
    answer_every_question_right(trainer)
    trainer.train()
    assert trainer.examples_seen() == 6 * 8
    assert trainer.state.log_history[0]["halt_steps"] == 1


def answer_with(trainer: TRMTrainer, tokens_by_step: list[int]) -> None:
    """Make the model predict token `tokens_by_step[k]` everywhere at its k-th call (its loss and halting
    logits stay its own); the list repeats."""
    forward = trainer.model.forward
    calls = itertools.count()

    def fixed_forward(*args, labels=None, **kwargs):
        outputs = forward(*args, labels=labels, **kwargs)
        token = tokens_by_step[next(calls) % len(tokens_by_step)]
        outputs.logits = torch.nn.functional.one_hot(
            torch.full_like(labels, token), outputs.logits.shape[-1]
        ).float()
        return outputs

    trainer.model.forward = fixed_forward


def test_halt_on_stable_releases_an_example_once_its_answer_stops_changing(tmp_path: Path) -> None:
    # N_sup = 3, 8 slots, the halting head never fires: an answer that is the same after steps 1 and 2
    # halts there, so 6 steps fill the slots 3 times.
    trainer = make_trainer(
        tmp_path, max_steps=6, halt_exploration_prob=0.0, trainer_kwargs={"halt_on_stable": True}
    )
    answer_with(trainer, [1])
    trainer.train()
    assert trainer.examples_seen() == 3 * 8
    assert trainer.state.log_history[0]["halt_steps"] == 2


def test_halt_on_stable_keeps_an_example_whose_answer_still_changes(tmp_path: Path) -> None:
    trainer = make_trainer(
        tmp_path, max_steps=6, halt_exploration_prob=0.0, trainer_kwargs={"halt_on_stable": True}
    )
    answer_with(trainer, [1, 2])  # a different answer after every step: all N_sup = 3 steps, as the paper
    trainer.train()
    assert trainer.examples_seen() == 2 * 8


def test_trainer_rejects_a_negative_supervision_warmup(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="supervision_warmup_steps"):
        make_trainer(tmp_path, max_steps=6, trainer_kwargs={"supervision_warmup_steps": -1})


def test_training_stops_once_the_evaluation_reaches_the_target(tmp_path: Path) -> None:
    trainer = make_trainer(
        tmp_path,
        max_steps=12,
        eval_strategy="steps",
        eval_steps=4,
        metric_for_best_model="exact_match",
        trainer_kwargs={"stop_at_metric": 0.0},
    )
    trainer.compute_metrics = lambda prediction: {"exact_match": 0.0}
    trainer.train()
    assert trainer.state.global_step == 4


def test_early_stopping_ends_training_on_a_plateau(tmp_path: Path) -> None:
    trainer = make_trainer(
        tmp_path,
        max_steps=40,
        eval_strategy="steps",
        eval_steps=4,
        metric_for_best_model="exact_match",
        trainer_kwargs={"early_stopping_patience": 2},
    )
    trainer.compute_metrics = lambda prediction: {"exact_match": 0.5}  # never improves after the first
    trainer.train()
    assert trainer.state.global_step == 12
