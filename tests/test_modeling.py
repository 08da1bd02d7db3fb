"""Behaviour of TRMConfig and TRMForMathQA of their own: padding, size, validation, the loss function.
What both heads share is in `test_model_heads.py`."""

from __future__ import annotations

import pytest
import torch
from tiny_models import TINY_MATH_CONFIG as TINY

from modeling_trm import TRMConfig, TRMForMathQA


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


def test_padding_does_not_change_a_question_answer() -> None:
    model = tiny_model().eval()
    input_ids, _, _ = tiny_batch(batch=2, length=7)
    padded = torch.cat((input_ids, torch.zeros(2, 5, dtype=torch.long)), dim=1)
    mask = torch.cat((torch.ones(2, 7, dtype=torch.long), torch.zeros(2, 5, dtype=torch.long)), dim=1)
    with torch.no_grad():
        short = model(input_ids).logits
        long = model(padded, mask).logits
    torch.testing.assert_close(short, long, rtol=1e-4, atol=1e-4)


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


def test_eager_attention_matches_sdpa_with_padding_and_gradients() -> None:
    input_ids, attention_mask, labels = tiny_batch()
    outputs = {}
    for implementation in ("sdpa", "eager"):
        torch.manual_seed(0)
        model = TRMForMathQA(TRMConfig(**TINY, attn_implementation=implementation))
        assert model.config._attn_implementation == implementation
        output = model(input_ids, attention_mask, labels=labels)
        output.loss.backward()
        outputs[implementation] = (output.logits, model.recursion.layers[0].mixer.qkv_proj.weight.grad)
    for sdpa, eager in zip(outputs["sdpa"], outputs["eager"], strict=True):
        torch.testing.assert_close(sdpa, eager, rtol=1e-4, atol=1e-5)


def test_sdpa_runs_as_eager_only_on_a_cpu_in_bf16() -> None:
    attention = tiny_model().recursion.layers[0].mixer
    fp32, bf16 = torch.zeros(1), torch.zeros(1, dtype=torch.bfloat16)
    assert (attention.attention_kernel(fp32), attention.attention_kernel(bf16)) == ("sdpa", "eager")
    model = tiny_model()
    model.set_attn_implementation("eager")
    assert model.recursion.layers[0].mixer.attention_kernel(fp32) == "eager"
