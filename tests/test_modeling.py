"""Behaviour of TRMConfig and TRMForMathQA: gradients, halting, saving, loading, validation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from tiny_models import TINY_MATH_CONFIG as TINY

from modeling_trm import TRMCarry, TRMConfig, TRMForMathQA


def tiny_model(**overrides) -> TRMForMathQA:
    torch.manual_seed(0)
    return TRMForMathQA(TRMConfig(**{**TINY, **overrides}))


def tiny_batch(batch: int = 4, length: int = 10) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    input_ids = torch.randint(4, 40, (batch, length), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[0, length - 3 :] = 0
    labels = torch.randint(4, 40, (batch, TINY["answer_length"]), generator=generator)
    labels[:, -1] = -100
    return input_ids, attention_mask, labels


def test_gradient_flows_only_through_the_last_cycle() -> None:
    model = tiny_model()
    input_ids, attention_mask, labels = tiny_batch()
    model(input_ids, attention_mask, labels).loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}

    def unrolled_loss(detach_before_last: bool) -> torch.Tensor:
        model.zero_grad()
        x, rotary, mask = model.embed(input_ids, attention_mask)
        state = model.recursion.initial_state(x)
        y, z = state.y, state.z
        for cycle in range(model.config.H_cycles):
            if cycle == model.config.H_cycles - 1 and detach_before_last:
                y, z = y.detach(), z.detach()
            for _ in range(model.config.L_cycles):
                z = model.recursion.net(z + y + x, rotary, mask)
            y = model.recursion.net(y + z, rotary, mask)
        logits = model.lm_head(y[:, 1 : 1 + model.config.answer_length])
        q_halt = model.recursion.q_head(y[:, 0]).squeeze(-1)
        valid = labels != -100
        from modeling_trm.modeling_trm import stablemax_cross_entropy

        lm_loss = (stablemax_cross_entropy(logits, labels).sum(-1) / valid.sum(-1)).mean()
        right = ((logits.argmax(-1) == labels) | ~valid).all(-1).float()
        return lm_loss + 0.5 * torch.nn.functional.binary_cross_entropy_with_logits(q_halt, right)

    unrolled_loss(detach_before_last=True).backward()
    for name, p in model.named_parameters():
        if name in grads:
            torch.testing.assert_close(p.grad, grads[name], rtol=1e-5, atol=1e-6, msg=name)
    # The check can tell: tracking every cycle gives other gradients.
    unrolled_loss(detach_before_last=False).backward()
    block_weight = "recursion.layers.0.mlp.down_proj.weight"
    assert not torch.allclose(dict(model.named_parameters())[block_weight].grad, grads[block_weight])


def test_carry_is_detached_between_steps() -> None:
    model = tiny_model()
    input_ids, attention_mask, labels = tiny_batch()
    out = model(input_ids, attention_mask, labels)
    assert out.carry.y.grad_fn is None and out.carry.z.grad_fn is None
    assert not out.carry.y.requires_grad and not out.carry.z.requires_grad
    again = model(input_ids, attention_mask, labels, carry=out.carry)
    assert not torch.equal(again.logits, out.logits)


def test_output_shapes_and_no_loss_without_labels() -> None:
    model = tiny_model()
    input_ids, attention_mask, _ = tiny_batch(batch=3)
    out = model(input_ids, attention_mask)
    assert out.loss is None
    assert out.logits.shape == (3, TINY["answer_length"], TINY["vocab_size"])
    assert out.q_halt_logits.shape == (3,) and out.q_halt_logits.dtype == torch.float32
    assert isinstance(out.carry, TRMCarry)
    assert isinstance(model(input_ids, attention_mask, return_dict=False), tuple)


def test_halting_head_starts_by_never_halting() -> None:
    model = tiny_model()
    input_ids, attention_mask, _ = tiny_batch()
    out = model.generate(input_ids, attention_mask, return_dict_in_generate=True)
    assert torch.all(out.num_steps == TINY["halt_max_steps"])


def test_padding_does_not_change_a_question_answer() -> None:
    model = tiny_model().eval()
    input_ids, _, _ = tiny_batch(batch=2, length=7)
    padded = torch.cat((input_ids, torch.zeros(2, 5, dtype=torch.long)), dim=1)
    mask = torch.cat((torch.ones(2, 7, dtype=torch.long), torch.zeros(2, 5, dtype=torch.long)), dim=1)
    with torch.no_grad():
        short = model(input_ids).logits
        long = model(padded, mask).logits
    torch.testing.assert_close(short, long, rtol=1e-4, atol=1e-4)


class _ApplicationCounter:
    """Counts sequence-rows passed through the tiny network (one row = one sequence, one application)."""

    def __init__(self, model: TRMForMathQA) -> None:
        self.rows = 0
        model.recursion.layers[0].register_forward_pre_hook(self._count)

    def _count(self, module: torch.nn.Module, args: tuple) -> None:
        self.rows += args[0].shape[0]


def test_generate_halts_per_sequence_and_saves_network_applications() -> None:
    model = tiny_model().eval()
    input_ids, attention_mask, _ = tiny_batch(batch=16)
    with torch.no_grad():  # a halting head that halts about half the questions after the first step
        model.recursion.q_head.weight.normal_(0, 1.0)
        model.recursion.q_head.bias.zero_()
        first_step = model(input_ids, attention_mask).q_halt_logits
        model.recursion.q_head.bias.fill_(-first_step.median().item())
    counter = _ApplicationCounter(model)
    full = model.generate(
        input_ids, attention_mask, use_act=False, return_dict_in_generate=True, output_step_predictions=True
    )
    full_rows, counter.rows = counter.rows, 0
    act = model.generate(input_ids, attention_mask, return_dict_in_generate=True)
    act_rows = counter.rows

    per_step = TINY["H_cycles"] * (TINY["L_cycles"] + 1)
    assert full_rows == 16 * TINY["halt_max_steps"] * per_step
    assert len(set(act.num_steps.tolist())) > 1, "sequences should halt at different steps"
    assert act_rows == int(act.num_steps.sum()) * per_step < full_rows
    # A halted sequence's answer is the one the full run had at that step.
    rows = torch.arange(16)
    torch.testing.assert_close(act.sequences, full.step_predictions[act.num_steps - 1, rows])
    assert full.step_predictions.shape == (TINY["halt_max_steps"], 16, TINY["answer_length"])


def test_default_config_has_10_to_20m_parameters_and_single_pass_the_same() -> None:
    for vocab_size in (4096, 8192):
        counts = [
            sum(
                p.numel() for p in TRMForMathQA(TRMConfig(vocab_size=vocab_size, single_pass=sp)).parameters()
            )
            for sp in (False, True)
        ]
        assert 10e6 <= counts[0] <= 20e6
        assert counts[0] == counts[1]


def test_single_pass_applies_the_blocks_once() -> None:
    model = tiny_model(single_pass=True).eval()
    input_ids, attention_mask, labels = tiny_batch()
    counter = _ApplicationCounter(model)
    out = model(input_ids, attention_mask, labels)
    assert counter.rows == input_ids.shape[0]
    assert out.carry is None and out.q_halt_logits is None
    assert torch.equal(out.loss, out.lm_loss)
    gen = model.generate(input_ids, attention_mask, return_dict_in_generate=True)
    assert torch.all(gen.num_steps == 1)


def test_bf16_autocast_keeps_losses_and_halting_in_fp32() -> None:
    model = tiny_model()
    input_ids, attention_mask, labels = tiny_batch()
    reference = model(input_ids, attention_mask, labels)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(input_ids, attention_mask, labels)
    assert out.loss.dtype == torch.float32 and out.q_halt_logits.dtype == torch.float32
    assert out.logits.dtype == torch.bfloat16
    assert abs(out.loss.item() - reference.loss.item()) < 0.05 * reference.loss.item()


def test_reload_gives_identical_logits(tmp_path: Path) -> None:
    model = tiny_model(mixer="mlp", pos_encoding="learned").eval()
    input_ids, attention_mask, _ = tiny_batch()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    assert not (tmp_path / "pytorch_model.bin").exists()
    assert (tmp_path / "generation_config.json").exists()
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["auto_map"]["AutoModel"] == "modeling_trm.TRMForMathQA"
    assert {"modeling_trm.py", "configuration_trm.py"} <= {p.name for p in tmp_path.iterdir()}

    reloaded = TRMForMathQA.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        torch.testing.assert_close(
            reloaded(input_ids, attention_mask).logits,
            model(input_ids, attention_mask).logits,
            rtol=0,
            atol=0,
        )
    from transformers import AutoModel

    assert type(AutoModel.from_pretrained(tmp_path)) is TRMForMathQA


def test_saved_folder_loads_with_remote_code_in_a_process_without_the_package(tmp_path: Path) -> None:
    model = tiny_model().eval()
    input_ids, attention_mask, _ = tiny_batch()
    model.save_pretrained(tmp_path / "model")
    with torch.no_grad():
        expected = model.generate(input_ids, attention_mask)
    torch.save(
        {"input_ids": input_ids, "attention_mask": attention_mask, "expected": expected}, tmp_path / "io.pt"
    )
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
        assert torch.equal(model.generate(io["input_ids"], io["attention_mask"]), io["expected"])
        print("OK", type(model).__name__)
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "modules")}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK TRMForMathQA" in result.stdout


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hidden_size", 0),
        ("num_heads", 5),
        ("H_cycles", 0),
        ("L_cycles", 0),
        ("mixer", "conv"),
        ("pos_encoding", "alibi"),
        ("loss_type", "mse"),
        ("halt_exploration_prob", 1.5),
        ("halt_threshold", float("nan")),
        ("answer_length", -1),
        ("vocab_size", 12.5),
    ],
)
def test_config_rejects_bad_values_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        TRMConfig(**{**TINY, field: value})


@pytest.mark.parametrize(
    ("config_threshold", "call_threshold", "steps"), [(0.0, None, 5), (-6.0, None, 1), (0.0, -6.0, 1)]
)
def test_halt_threshold_from_the_call_or_the_config(
    config_threshold: float, call_threshold: float | None, steps: int
) -> None:
    model = tiny_model(halt_threshold=config_threshold).eval()  # halting logits start at -5 everywhere
    input_ids, attention_mask, _ = tiny_batch()
    out = model.generate(
        input_ids, attention_mask, halt_threshold=call_threshold, return_dict_in_generate=True
    )
    assert out.num_steps.tolist() == [steps] * 4


def test_single_pass_config_allows_zero_latent_updates() -> None:
    assert TRMConfig(**{**TINY, "L_cycles": 0, "single_pass": True}).single_pass


def test_too_long_question_is_an_error_not_truncated() -> None:
    model = tiny_model()
    with pytest.raises(ValueError, match="max_question_length"):
        model(torch.ones(1, TINY["max_question_length"] + 1, dtype=torch.long))
    with pytest.raises(ValueError, match="labels"):
        model(torch.ones(1, 4, dtype=torch.long), labels=torch.ones(1, 2, dtype=torch.long))


def test_stablemax_gradient_is_finite_at_a_logit_of_exactly_one() -> None:
    from modeling_trm.modeling_trm import stablemax_cross_entropy

    logits = torch.tensor([[[1.0, -1.0, 0.0, 2.0]]], requires_grad=True)  # bf16 rounds to 1.0 often
    stablemax_cross_entropy(logits, torch.tensor([[3]])).sum().backward()
    assert torch.isfinite(logits.grad).all()
