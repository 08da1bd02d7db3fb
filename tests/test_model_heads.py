"""Behaviour both TRM heads share (`TRMForMathQA`, `TRMForPuzzles`): the supervision step, its
gradients and carry, halting, the single-pass baseline, precision, saving and loading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from tiny_models import TINY_MATH_CONFIG, TINY_PUZZLE_CONFIG
from transformers import AutoConfig, AutoModel

from modeling_trm import (
    TRMCarry,
    TRMConfig,
    TRMForMathQA,
    TRMForPuzzles,
    TRMPreTrainedModel,
    TRMPuzzleConfig,
)
from modeling_trm.modeling_trm import stablemax_cross_entropy

Inputs = dict[str, torch.Tensor]


def _math_batch(batch: int) -> tuple[Inputs, torch.Tensor]:
    """Questions of 10 tokens, the first padded after 7; labels padded in the last answer slot."""
    generator = torch.Generator().manual_seed(1)
    vocab_size = TINY_MATH_CONFIG["vocab_size"]
    input_ids = torch.randint(4, vocab_size, (batch, 10), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[0, 7:] = 0
    labels = torch.randint(4, vocab_size, (batch, TINY_MATH_CONFIG["answer_length"]), generator=generator)
    labels[:, -1] = -100
    return {"input_ids": input_ids, "attention_mask": attention_mask}, labels


def _puzzle_batch(batch: int) -> tuple[Inputs, torch.Tensor]:
    """Grids with their puzzle identifiers; the first three cells are not scored."""
    generator = torch.Generator().manual_seed(1)
    vocab_size, seq_len = TINY_PUZZLE_CONFIG["vocab_size"], TINY_PUZZLE_CONFIG["seq_len"]
    input_ids = torch.randint(1, vocab_size, (batch, seq_len), generator=generator)
    labels = torch.randint(2, vocab_size, (batch, seq_len), generator=generator)
    labels[:, :3] = -100
    puzzle_identifiers = torch.arange(batch) % TINY_PUZZLE_CONFIG["num_puzzle_identifiers"]
    return {"input_ids": input_ids, "puzzle_identifiers": puzzle_identifiers}, labels


@dataclass(frozen=True)
class Head:
    """A task head, its tiny config, a batch maker and where its output is read from `y`."""

    model_class: type[TRMPreTrainedModel]
    config_class: type[TRMConfig]
    tiny: dict
    make_batch: Callable[[int], tuple[Inputs, torch.Tensor]]
    output_positions: slice
    output_length: int

    def model(self, **overrides) -> TRMPreTrainedModel:
        torch.manual_seed(0)
        model = self.model_class(self.config_class(**{**self.tiny, **overrides}))
        if getattr(model, "puzzle_emb", None) is not None:
            with torch.no_grad():  # a trained-looking table, so the puzzle positions matter
                model.puzzle_emb.weight.normal_()
        return model


HEADS = {
    "math": Head(
        TRMForMathQA,
        TRMConfig,
        TINY_MATH_CONFIG,
        _math_batch,
        slice(1, 1 + TINY_MATH_CONFIG["answer_length"]),
        TINY_MATH_CONFIG["answer_length"],
    ),
    "puzzles": Head(
        TRMForPuzzles,
        TRMPuzzleConfig,
        TINY_PUZZLE_CONFIG,
        _puzzle_batch,
        slice(TINY_PUZZLE_CONFIG["puzzle_emb_len"], None),
        TINY_PUZZLE_CONFIG["seq_len"],
    ),
}


@pytest.fixture(params=list(HEADS), ids=list(HEADS))
def head(request: pytest.FixtureRequest) -> Head:
    return HEADS[request.param]


class _ApplicationCounter:
    """Counts sequence-rows passed through the tiny network (one row = one sequence, one application)."""

    def __init__(self, model: TRMPreTrainedModel) -> None:
        self.rows = 0
        model.recursion.layers[0].register_forward_pre_hook(self._count)

    def _count(self, module: torch.nn.Module, args: tuple) -> None:
        self.rows += args[0].shape[0]


def test_gradient_flows_only_through_the_last_cycle(head: Head) -> None:
    model = head.model()
    inputs, labels = head.make_batch(4)
    model(**inputs, labels=labels).loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}

    def unrolled_loss(detach_before_last: bool) -> torch.Tensor:
        model.zero_grad()
        x, rotary, mask = model.embed(**inputs)
        state = model.recursion.initial_state(x)
        y, z = state.y, state.z
        for cycle in range(model.config.H_cycles):
            if cycle == model.config.H_cycles - 1 and detach_before_last:
                y, z = y.detach(), z.detach()
            for _ in range(model.config.L_cycles):
                z = model.recursion.net(z + y + x, rotary, mask)
            y = model.recursion.net(y + z, rotary, mask)
        logits = model.lm_head(y[:, head.output_positions])
        q_halt = model.recursion.q_head(y[:, 0]).squeeze(-1)
        valid = labels != -100
        lm_loss = (stablemax_cross_entropy(logits, labels).sum(-1) / valid.sum(-1)).mean()
        right = ((logits.argmax(-1) == labels) | ~valid).all(-1).float()
        return lm_loss + 0.5 * F.binary_cross_entropy_with_logits(q_halt, right)

    unrolled_loss(detach_before_last=True).backward()
    for name, p in model.named_parameters():
        if name in grads:
            torch.testing.assert_close(p.grad, grads[name], rtol=1e-5, atol=1e-6, msg=name)
    # The check can tell: tracking every cycle gives other gradients.
    unrolled_loss(detach_before_last=False).backward()
    block_weight = "recursion.layers.0.mlp.down_proj.weight"
    assert not torch.allclose(dict(model.named_parameters())[block_weight].grad, grads[block_weight])


def test_carry_is_detached_between_steps(head: Head) -> None:
    model = head.model()
    inputs, labels = head.make_batch(4)
    out = model(**inputs, labels=labels)
    assert out.carry.y.grad_fn is None and out.carry.z.grad_fn is None
    assert not out.carry.y.requires_grad and not out.carry.z.requires_grad
    again = model(**inputs, labels=labels, carry=out.carry)
    assert not torch.equal(again.logits, out.logits)


@pytest.mark.parametrize("mixer", ["attention", "mlp"])
def test_output_shapes_and_no_loss_without_labels(head: Head, mixer: str) -> None:
    model = head.model(mixer=mixer)
    inputs, labels = head.make_batch(3)
    out = model(**inputs)
    assert out.loss is None and out.lm_loss is None
    assert out.logits.shape == (3, head.output_length, head.tiny["vocab_size"])
    assert out.q_halt_logits.shape == (3,) and out.q_halt_logits.dtype == torch.float32
    assert isinstance(out.carry, TRMCarry) and out.carry.y.shape == out.carry.z.shape
    assert out.carry.y.shape[::2] == (3, head.tiny["hidden_size"])
    assert model(**inputs, labels=labels).loss.ndim == 0
    assert isinstance(model(**inputs, return_dict=False), tuple)


def test_halting_head_starts_by_never_halting(head: Head) -> None:
    model = head.model()
    inputs, _ = head.make_batch(4)
    out = model.generate(**inputs, return_dict_in_generate=True)
    assert torch.all(out.num_steps == head.tiny["halt_max_steps"])


def test_generate_halts_per_sequence_and_drops_halted_rows(head: Head) -> None:
    model = head.model().eval()
    inputs, _ = head.make_batch(16)
    with torch.no_grad():  # a halting head that halts about half the sequences after the first step
        model.recursion.q_head.weight.normal_(0, 1.0)
        model.recursion.q_head.bias.zero_()
        first_step = model(**inputs).q_halt_logits
        model.recursion.q_head.bias.fill_(-first_step.median().item())
    counter = _ApplicationCounter(model)
    full = model.generate(**inputs, use_act=False, return_dict_in_generate=True, output_step_predictions=True)
    full_rows, counter.rows = counter.rows, 0
    act = model.generate(**inputs, return_dict_in_generate=True)

    steps = head.tiny["halt_max_steps"]
    per_step = head.tiny["H_cycles"] * (head.tiny["L_cycles"] + 1)
    assert torch.all(full.num_steps == steps) and full_rows == 16 * steps * per_step
    assert len(set(act.num_steps.tolist())) > 1, "sequences should halt at different steps"
    assert counter.rows == int(act.num_steps.sum()) * per_step < full_rows
    # A halted sequence's answer is the one the full run had at that step.
    torch.testing.assert_close(act.sequences, full.step_predictions[act.num_steps - 1, torch.arange(16)])
    assert full.step_predictions.shape == (steps, 16, head.output_length)


@pytest.mark.parametrize(
    ("config_threshold", "call_threshold", "steps"), [(0.0, None, None), (-6.0, None, 1), (0.0, -6.0, 1)]
)
def test_halt_threshold_from_the_call_or_the_config(
    head: Head, config_threshold: float, call_threshold: float | None, steps: int | None
) -> None:
    model = head.model(halt_threshold=config_threshold).eval()  # halting logits start at -5 everywhere
    inputs, _ = head.make_batch(4)
    out = model.generate(**inputs, halt_threshold=call_threshold, return_dict_in_generate=True)
    assert out.num_steps.tolist() == [steps or head.tiny["halt_max_steps"]] * 4


def test_single_pass_applies_the_blocks_once(head: Head) -> None:
    model = head.model(single_pass=True).eval()
    inputs, labels = head.make_batch(4)
    counter = _ApplicationCounter(model)
    out = model(**inputs, labels=labels)
    assert counter.rows == 4
    assert out.carry is None and out.q_halt_logits is None
    assert torch.equal(out.loss, out.lm_loss)
    gen = model.generate(**inputs, max_supervision_steps=3, return_dict_in_generate=True)
    assert torch.all(gen.num_steps == 1)


def test_bf16_autocast_keeps_losses_and_halting_in_fp32(head: Head) -> None:
    model = head.model()
    inputs, labels = head.make_batch(4)
    reference = model(**inputs, labels=labels)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(**inputs, labels=labels)
    assert out.loss.dtype == torch.float32 and out.q_halt_logits.dtype == torch.float32
    assert out.logits.dtype == torch.bfloat16
    assert abs(out.loss.item() - reference.loss.item()) < 0.05 * reference.loss.item()


@pytest.mark.parametrize(("mixer", "pos_encoding"), [("attention", "rope"), ("mlp", "learned")])
def test_reload_gives_identical_logits(head: Head, mixer: str, pos_encoding: str, tmp_path: Path) -> None:
    model = head.model(mixer=mixer, pos_encoding=pos_encoding).eval()
    inputs, _ = head.make_batch(4)
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists() and not (tmp_path / "pytorch_model.bin").exists()
    assert (tmp_path / "generation_config.json").exists()
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == head.config_class.model_type
    assert config["auto_map"] == {
        "AutoConfig": f"configuration_trm.{head.config_class.__name__}",
        "AutoModel": f"modeling_trm.{head.model_class.__name__}",
    }
    assert {"modeling_trm.py", "configuration_trm.py"} <= {p.name for p in tmp_path.iterdir()}

    reloaded = AutoModel.from_pretrained(tmp_path).eval()
    assert type(reloaded) is head.model_class
    assert type(AutoConfig.from_pretrained(tmp_path)) is head.config_class
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**inputs).logits, model(**inputs).logits, rtol=0, atol=0)


def test_saved_folder_loads_with_remote_code_in_a_process_without_the_package(
    head: Head, tmp_path: Path
) -> None:
    model = head.model().eval()
    inputs, _ = head.make_batch(4)
    model.save_pretrained(tmp_path / "model")
    with torch.no_grad():
        expected = model.generate(**inputs)
    torch.save({"inputs": inputs, "expected": expected}, tmp_path / "io.pt")
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("modeling_trm", "training", "tokenization", "hub_cards"):
                    raise ImportError(f"{{name}} is blocked: the saved folder must be self-contained")
        sys.meta_path.insert(0, Block())
        import torch
        from transformers import AutoModel
        model = AutoModel.from_pretrained({str(tmp_path / "model")!r}, trust_remote_code=True).eval()
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        io = torch.load({str(tmp_path / "io.pt")!r})
        assert torch.equal(model.generate(**io["inputs"]), io["expected"])
        print("OK", type(model).__name__)
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "modules")}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"OK {head.model_class.__name__}" in result.stdout
