"""A second, independent statement of one TRM supervision step in NumPy, checked against `forward`.

Written from the paper's pseudocode (arXiv:2510.04871, Fig. 3):

    def latent_recursion(x, y, z, n):
        for i in range(n): z = net(x, y, z)
        y = net(y, z)
    def deep_recursion(x, y, z, n, T):
        with no_grad: T-1 times latent_recursion
        latent_recursion once more
        return (y.detach(), z.detach()), output_head(y), Q_head(y)

plus the architecture of DESIGN §2.2 (post-norm blocks, RMSNorm without scale, SwiGLU, RoPE).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from modeling_trm import TRMConfig, TRMForMathQA


def _rms(h: np.ndarray, eps: float) -> np.ndarray:
    return h / np.sqrt((h**2).mean(-1, keepdims=True) + eps)


def _silu(a: np.ndarray) -> np.ndarray:
    return a / (1 + np.exp(-a))


def _swiglu(h: np.ndarray, w: dict, prefix: str) -> np.ndarray:
    gate_up = h @ w[f"{prefix}.gate_up_proj.weight"].T
    gate, up = np.split(gate_up, 2, axis=-1)
    return (_silu(gate) * up) @ w[f"{prefix}.down_proj.weight"].T


def _rope(states: np.ndarray, theta: float) -> np.ndarray:
    """states: (batch, heads, seq, dim); rotate pairs (i, i + dim/2) by position * theta^(-2i/dim)."""
    seq, dim = states.shape[-2], states.shape[-1]
    half = dim // 2
    freqs = theta ** (-np.arange(half) * 2 / dim)
    angles = np.arange(seq)[:, None] * freqs[None, :]
    cos, sin = np.cos(angles), np.sin(angles)
    first, second = states[..., :half], states[..., half:]
    return np.concatenate([first * cos - second * sin, second * cos + first * sin], axis=-1)


def _attention(h: np.ndarray, w: dict, prefix: str, cfg: TRMConfig, key_valid: np.ndarray) -> np.ndarray:
    batch, seq, dim = h.shape
    heads, head_dim = cfg.num_heads, dim // cfg.num_heads
    q, k, v = np.split(h @ w[f"{prefix}.qkv_proj.weight"].T, 3, axis=-1)
    q, k, v = (t.reshape(batch, seq, heads, head_dim).transpose(0, 2, 1, 3) for t in (q, k, v))
    q, k = _rope(q, cfg.rope_theta), _rope(k, cfg.rope_theta)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head_dim)
    scores = np.where(key_valid[:, None, None, :], scores, -np.inf)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    probs = scores / scores.sum(-1, keepdims=True)
    out = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, dim)
    return out @ w[f"{prefix}.o_proj.weight"].T


def _net(h: np.ndarray, w: dict, cfg: TRMConfig, key_valid: np.ndarray) -> np.ndarray:
    for layer in range(cfg.num_layers):
        prefix = f"recursion.layers.{layer}"
        if cfg.mixer == "attention":
            mixed = _attention(h, w, f"{prefix}.mixer", cfg, key_valid)
        else:
            mixed = _swiglu(h.transpose(0, 2, 1), w, f"{prefix}.mixer.mlp").transpose(0, 2, 1)
        h = _rms(h + mixed, cfg.rms_norm_eps)
        h = _rms(h + _swiglu(h, w, f"{prefix}.mlp"), cfg.rms_norm_eps)
    return h


def _reference_step(w, cfg, input_ids, attention_mask, labels, y=None, z=None):
    batch, qlen = input_ids.shape
    if cfg.mixer == "mlp":
        pad = cfg.max_question_length - qlen
        input_ids = np.pad(input_ids, ((0, 0), (0, pad)), constant_values=cfg.pad_token_id)
        attention_mask = np.pad(attention_mask, ((0, 0), (0, pad)))
    # Sequence: [summary slot | answer slots | question], embeddings scaled by sqrt(D).
    slots = np.broadcast_to(w["embed_slots.weight"], (batch, *w["embed_slots.weight"].shape))
    x = np.concatenate([slots, w["embed_tokens.weight"][input_ids]], axis=1) * np.sqrt(cfg.hidden_size)
    key_valid = np.concatenate(
        [np.ones((batch, 1 + cfg.answer_length), bool), attention_mask.astype(bool)], 1
    )
    if cfg.mixer == "mlp":
        key_valid = np.ones_like(key_valid)
    if y is None:
        y = np.broadcast_to(w["recursion.y_init"], x.shape)
        z = np.broadcast_to(w["recursion.z_init"], x.shape)
    for _ in range(cfg.H_cycles):  # gradients aside, all T cycles compute the same thing
        for _ in range(cfg.L_cycles):
            z = _net(z + y + x, w, cfg, key_valid)
        y = _net(y + z, w, cfg, key_valid)
    logits = y[:, 1 : 1 + cfg.answer_length] @ w["lm_head.weight"].T
    q_halt = y[:, 0] @ w["recursion.q_head.weight"][0] + w["recursion.q_head.bias"][0]

    # Stablemax cross entropy, mean over each sequence's answer tokens, then over the batch.
    s = np.where(logits < 0, 1 / (1 - logits), logits + 1)
    log_probs = np.log(s / s.sum(-1, keepdims=True))
    valid = labels != -100
    picked = np.take_along_axis(log_probs, np.where(valid, labels, 0)[..., None], -1)[..., 0]
    lm_loss = (-(picked * valid).sum(-1) / valid.sum(-1)).mean()
    right = np.all((logits.argmax(-1) == labels) | ~valid, axis=-1).astype(float)
    bce = np.maximum(q_halt, 0) - q_halt * right + np.log1p(np.exp(-np.abs(q_halt)))
    loss = lm_loss + cfg.q_loss_weight * bce.mean()
    return logits, q_halt, loss, y, z


# fp64 checks the algorithm itself (halting logits and losses are fp32 by design, hence 1e-5); fp32
# checks the model as users run it. Twelve chained network applications amplify fp32 rounding, more
# so through the sequence MLP, whose outputs sum over every position.
@pytest.mark.parametrize(
    ("mixer", "dtype", "tol"),
    [
        ("attention", torch.float32, 1e-4),
        ("attention", torch.float64, 1e-5),
        ("mlp", torch.float32, 1e-3),
        ("mlp", torch.float64, 1e-5),
    ],
)
def test_forward_matches_numpy_reference_for_two_chained_steps(
    mixer: str, dtype: torch.dtype, tol: float
) -> None:
    torch.manual_seed(0)
    cfg = TRMConfig(
        vocab_size=50,
        hidden_size=32,
        num_heads=4,
        num_layers=2,
        H_cycles=2,
        L_cycles=2,
        max_question_length=12,
        answer_length=6,
        mixer=mixer,
    )
    model = TRMForMathQA(cfg).eval().to(dtype)
    with torch.no_grad():  # a non-trivial halting head, so q_halt is checked for real
        model.recursion.q_head.weight.normal_(0, 0.2)
    w = {k: v.double().numpy() for k, v in model.state_dict().items()}

    input_ids = torch.randint(4, 50, (3, 9))
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 6:] = 0
    labels = torch.randint(4, 50, (3, 6))
    labels[0, 4:] = -100

    carry, y, z = None, None, None
    for _ in range(2):
        out = model(input_ids, attention_mask=attention_mask, labels=labels, carry=carry)
        logits, q_halt, loss, y, z = _reference_step(
            w, cfg, input_ids.numpy(), attention_mask.numpy(), labels.numpy(), y, z
        )
        np.testing.assert_allclose(out.logits.detach().double().numpy(), logits, atol=tol, rtol=tol)
        np.testing.assert_allclose(out.q_halt_logits.detach().double().numpy(), q_halt, atol=tol, rtol=tol)
        np.testing.assert_allclose(out.loss.item(), loss, atol=tol, rtol=tol)
        np.testing.assert_allclose(out.carry.y.double().numpy(), y, atol=tol, rtol=tol)
        np.testing.assert_allclose(out.carry.z.double().numpy(), z, atol=tol, rtol=tol)
        carry = out.carry
