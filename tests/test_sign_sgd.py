"""Sign-SGD for the puzzle embedding: exact steps, untouched rows, and TRMTrainer's optimizer split."""

from __future__ import annotations

from pathlib import Path

import datasets
import torch
from transformers import TrainingArguments

from modeling_trm import TRMConfig, TRMForMathQA, TRMForPuzzles, TRMPuzzleConfig
from training.data.puzzles.collator import collate_puzzles
from training.sign_sgd import AdamWWithSignSGD, SignSGD
from training.trainer import TRMTrainer


def table_and_grad() -> tuple[torch.nn.Parameter, torch.Tensor]:
    torch.manual_seed(0)
    table = torch.nn.Parameter(torch.randn(5, 4))
    grad = torch.zeros(5, 4)
    grad[1] = torch.tensor([0.3, -2.0, 0.0, 1e-6])
    grad[3] = torch.tensor([-1.0, 5.0, -0.1, 0.2])
    return table, grad


def test_sign_sgd_moves_touched_rows_by_lr_times_sign_plus_decay_and_nothing_else() -> None:
    table, grad = table_and_grad()
    before = table.detach().clone()
    table.grad = grad
    SignSGD([table], lr=0.1, weight_decay=0.5).step()
    expected = before.clone()
    for row in (1, 3):
        expected[row] = before[row] * (1 - 0.1 * 0.5) - 0.1 * grad[row].sign()
    torch.testing.assert_close(table.detach(), expected, rtol=0, atol=1e-7)
    for row in (0, 2, 4):
        assert torch.equal(table[row], before[row])


def test_adamw_with_sign_sgd_steps_each_group_with_its_own_rule() -> None:
    table, grad = table_and_grad()
    torch.manual_seed(1)
    weight = torch.nn.Parameter(torch.randn(3, 3))
    twin = torch.nn.Parameter(weight.detach().clone())
    weight.grad = twin.grad = torch.randn(3, 3)
    before = table.detach().clone()
    table.grad = grad
    optimizer = AdamWWithSignSGD(
        [{"params": [weight]}, {"params": [table], "lr": 0.2, "weight_decay": 0.0, "sign_sgd": True}],
        lr=1e-2,
        weight_decay=0.1,
        betas=(0.9, 0.95),
    )
    optimizer.step()
    torch.optim.AdamW([twin], lr=1e-2, weight_decay=0.1, betas=(0.9, 0.95)).step()
    assert torch.equal(weight, twin)
    expected = before - 0.2 * grad.sign()
    torch.testing.assert_close(table.detach(), expected, rtol=0, atol=1e-7)
    assert table.grad is grad and table not in optimizer.state


def puzzle_dataset() -> datasets.Dataset:
    """Grids of 4 cells; label = input + 1; puzzles 1 and 2 only (of 4 identifiers)."""
    generator = torch.Generator().manual_seed(0)
    grids = torch.randint(1, 4, (24, 4), generator=generator)
    return datasets.Dataset.from_dict(
        {"input_ids": grids.tolist(), "labels": (grids + 1).tolist(), "puzzle_identifiers": [1, 2] * 12}
    )


def make_trainer(output_dir: Path, model: torch.nn.Module, dataset: datasets.Dataset) -> TRMTrainer:
    args = TrainingArguments(
        output_dir=str(output_dir),
        max_steps=4,
        per_device_train_batch_size=6,
        learning_rate=1e-3,
        weight_decay=0.1,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        save_strategy="no",
        seed=0,
    )
    return TRMTrainer(model=model, args=args, train_dataset=dataset, data_collator=collate_puzzles)


def test_trainer_puts_the_puzzle_embedding_under_sign_sgd_and_leaves_unseen_puzzles(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = TRMPuzzleConfig(
        seq_len=4,
        vocab_size=5,
        num_puzzle_identifiers=4,
        puzzle_emb_len=2,
        puzzle_emb_lr=0.05,
        hidden_size=32,
        num_heads=4,
        H_cycles=2,
        L_cycles=2,
        halt_max_steps=3,
    )
    model = TRMForPuzzles(config)
    trainer = make_trainer(tmp_path, model, puzzle_dataset())
    trainer.train()
    sign_groups = [g for g in trainer.optimizer.param_groups if g.get("sign_sgd")]
    assert len(sign_groups) == 1 and sign_groups[0]["params"] == [model.puzzle_emb.weight]
    assert sign_groups[0]["weight_decay"] == 0.1
    others = {id(p) for g in trainer.optimizer.param_groups if not g.get("sign_sgd") for p in g["params"]}
    assert id(model.puzzle_emb.weight) not in others and len(others) == len(list(model.parameters())) - 1
    table = model.puzzle_emb.weight.detach()
    assert torch.count_nonzero(table[[0, 3]]) == 0
    assert torch.count_nonzero(table[1]) > 0 and torch.count_nonzero(table[2]) > 0


def test_math_model_keeps_the_trainer_adamw(tmp_path: Path) -> None:
    model = TRMForMathQA(TRMConfig(vocab_size=8, hidden_size=32, num_heads=4, max_question_length=4))
    dataset = datasets.Dataset.from_dict({"input_ids": [[4, 5]], "labels": [[6] * 48]})
    optimizer = make_trainer(tmp_path, model, dataset).create_optimizer()
    assert type(optimizer) is torch.optim.AdamW
