"""The fast paths keep the model's outputs: `torch.compile` matches eager fp32 to 1e-4 (forward,
carry and gradients), bf16 autocast answers like fp32 on the shipped model's held-out word problems
(at least 90 % identical answers, exact match within 1 point), and the memory kept for backward does
not grow with T. The rewritten RoPE and latent-update order are checked against the NumPy
reference in `tests/test_modeling_reference.py`; ACT batch compaction in `tests/test_modeling.py`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_models import TINY_MATH_CONFIG as TINY
from torch.utils.data import DataLoader
from transformers import AutoModel, AutoTokenizer

from modeling_trm import TRMConfig, TRMForMathQA
from training.arguments import parse_arguments
from training.data.math_datasets import build_eval_dataset

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "hub_cards" / "trm-math"


def supervision_step(model: torch.nn.Module, input_ids: torch.Tensor, labels: torch.Tensor) -> dict:
    """Logits, loss, new latent state and parameter gradients of one supervision step from a fresh state."""
    output = model(input_ids, labels=labels)
    output.loss.backward()
    module = getattr(model, "_orig_mod", model)
    grads = {name: param.grad.clone() for name, param in module.named_parameters() if param.grad is not None}
    module.zero_grad(set_to_none=True)
    return {"logits": output.logits, "loss": output.loss, "z": output.carry.z, "grads": grads}


@pytest.mark.parametrize("mixer", ["attention", "mlp"])
def test_compiled_step_matches_eager_fp32(mixer: str) -> None:
    torch.manual_seed(0)
    model = TRMForMathQA(TRMConfig(**TINY, mixer=mixer))
    generator = torch.Generator().manual_seed(1)
    input_ids = torch.randint(4, 40, (4, TINY["max_question_length"]), generator=generator)
    labels = torch.randint(4, 40, (4, TINY["answer_length"]), generator=generator)
    eager = supervision_step(model, input_ids, labels)
    compiled = supervision_step(torch.compile(model), input_ids, labels)
    assert eager["grads"].keys() == compiled["grads"].keys() and eager["grads"]
    torch.testing.assert_close(compiled, eager, rtol=1e-4, atol=1e-4)


def saved_activation_bytes(H_cycles: int) -> int:
    """Bytes autograd keeps for the backward pass of one supervision step at `H_cycles` = T."""
    torch.manual_seed(0)
    model = TRMForMathQA(TRMConfig(**{**TINY, "H_cycles": H_cycles}))
    input_ids = torch.randint(4, 40, (4, TINY["max_question_length"]))
    saved = []

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        saved.append(tensor.numel() * tensor.element_size())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(input_ids, labels=torch.randint(4, 40, (4, TINY["answer_length"])))
    return sum(saved)


def test_activation_memory_does_not_grow_with_the_number_of_cycles() -> None:
    assert saved_activation_bytes(1) == saved_activation_bytes(2) == saved_activation_bytes(5) > 0


def held_out_problems(tokenizer, model: TRMForMathQA, count: int) -> list[dict[str, torch.Tensor]]:
    """At most `count` held-out problems of the shipped model's training config, in batches."""
    config = REPO / "training" / "configs" / "word_problems_cpu.yaml"
    data_args = parse_arguments(["--config", str(config)])[1]
    data_args.max_eval_samples = count
    dataset, collator, _ = build_eval_dataset(
        data_args.dataset, data_args, tokenizer, model.config.max_question_length, model.config.answer_length
    )
    return list(DataLoader(dataset, batch_size=250, collate_fn=collator))


def test_bf16_autocast_answers_like_fp32_on_the_shipped_model() -> None:
    model = AutoModel.from_pretrained(SHIPPED, dtype=torch.float32).eval()
    batches = held_out_problems(AutoTokenizer.from_pretrained(SHIPPED), model, count=500)
    count = sum(len(batch["input_ids"]) for batch in batches)
    answers, right = {}, {}
    for bf16 in (False, True):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            answers[bf16] = [
                model.generate(b["input_ids"], attention_mask=b["attention_mask"]) for b in batches
            ]
        right[bf16] = sum(
            ((a == b["labels"]) | (b["labels"] == -100)).all(-1).sum().item()
            for a, b in zip(answers[bf16], batches, strict=True)
        )
    same = sum((a == b).all(-1).sum().item() for a, b in zip(answers[False], answers[True], strict=True))
    assert same >= 0.9 * count
    assert abs(right[True] - right[False]) <= 0.01 * count
