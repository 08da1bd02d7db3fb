"""Tiny Recursive Models (TRM, "Less is More: Recursive Reasoning with Tiny Networks", arXiv:2510.04871).

One tiny network (a few post-norm blocks) refines a latent state `z` and an answer state `y` for an
embedded input `x`. A supervision step (one `forward`) runs T improvement cycles, each made of n
latent updates `z = net(z + y + x)` and one answer update `y = net(y + z)`; only the last cycle
carries gradient. The state leaves each step detached, so training chains steps (deep
supervision) and a halting head decides when to stop (ACT).

Two task heads share that core: `TRMForMathQA` (a question in, a fixed number of answer tokens out)
and `TRMForPuzzles` (a grid in, the solved grid out, cell by cell). This file and
`configuration_trm.py` import only torch and transformers, so both heads ship to the Hub as this pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import GenerationMixin, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.utils import ModelOutput, logging

from .configuration_trm import TRMConfig, TRMPuzzleConfig, swiglu_width

logger = logging.get_logger(__name__)

IGNORE_INDEX = -100  # the label of a position that is not scored (padding), as in `transformers`


@dataclass
class TRMCarry(ModelOutput):
    """Recurrent state passed from one supervision step to the next.

    Args:
        y (`torch.FloatTensor` of shape `(batch_size, sequence_length, hidden_size)`): Answer state.
        z (`torch.FloatTensor` of shape `(batch_size, sequence_length, hidden_size)`): Latent state.
    """

    y: torch.FloatTensor | None = None
    z: torch.FloatTensor | None = None


@dataclass
class TRMOutput(ModelOutput):
    """Output of one supervision step.

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*): `lm_loss + q_loss_weight * q_halt_loss`,
            returned when `labels` are given.
        logits (`torch.FloatTensor` of shape `(batch_size, output_length, vocab_size)`): Logits of the
            answer slots (`answer_length`) or grid cells (`seq_len`).
        q_halt_logits (`torch.FloatTensor` of shape `(batch_size,)`, *optional*): Halting logits (fp32);
            `> 0` means "halt". `None` for the single-pass baseline.
        carry (`TRMCarry`, *optional*): The new state, detached. `None` for the single-pass baseline.
        lm_loss (`torch.FloatTensor` of shape `()`, *optional*): Answer cross entropy, mean per sequence.
        q_halt_loss (`torch.FloatTensor` of shape `()`, *optional*): BCE of `q_halt_logits` against
            "the whole answer is right".
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    q_halt_logits: torch.FloatTensor | None = None
    carry: TRMCarry | None = None
    lm_loss: torch.FloatTensor | None = None
    q_halt_loss: torch.FloatTensor | None = None


@dataclass
class TRMGenerateOutput(ModelOutput):
    """Output of `generate` ([`TRMForMathQA`], [`TRMForPuzzles`]) with `return_dict_in_generate=True`.

    Args:
        sequences (`torch.LongTensor` of shape `(batch_size, output_length)`): Predicted answer tokens
            (`answer_length` of them) or grids (`seq_len` cells).
        num_steps (`torch.LongTensor` of shape `(batch_size,)`): Supervision steps each sequence ran.
        step_predictions (`torch.LongTensor` of shape `(steps, batch_size, output_length)`, *optional*):
            The prediction after every supervision step (a halted sequence keeps its last one).
    """

    sequences: torch.LongTensor | None = None
    num_steps: torch.LongTensor | None = None
    step_predictions: torch.LongTensor | None = None


def rms_norm(hidden_states: torch.Tensor, eps: float) -> torch.Tensor:
    """RMSNorm without a learned scale, computed in fp32 and cast back (as the reference code)."""
    input_dtype = hidden_states.dtype
    hidden_states = hidden_states.float()
    hidden_states = hidden_states * torch.rsqrt(hidden_states.pow(2).mean(-1, keepdim=True) + eps)
    return hidden_states.to(input_dtype)


def rotary_tables(
    seq_len: int, head_dim: int, theta: float, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """RoPE tables `(cos, signed_sin)` of shape `(seq_len, 1, 1, head_dim)`, built once per step.

    The first half of `signed_sin` is negated, so that `apply_rotary` rotates with one `roll`
    (the usual `cat(-x2, x1)` is `roll(x, head_dim / 2)` with its first half negated).
    """
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, device=device, dtype=torch.float32) / head_dim))
    freqs = torch.outer(torch.arange(seq_len, device=device, dtype=torch.float32), inv_freq)
    signed_sin = torch.cat((-freqs.sin(), freqs.sin()), dim=-1)
    cos = torch.cat((freqs, freqs), dim=-1).cos()
    return cos[:, None, None, :], signed_sin[:, None, None, :]


def apply_rotary(states: torch.Tensor, cos: torch.Tensor, signed_sin: torch.Tensor) -> torch.Tensor:
    """Rotate `states` of shape `(batch, seq, ..., head_dim)` by the tables of `rotary_tables`."""
    rotated = states.roll(states.shape[-1] // 2, dims=-1)
    return (states * cos + rotated * signed_sin).to(states.dtype)


def stablemax_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-token cross entropy under stablemax (s(x) = x + 1 for x >= 0, 1 / (1 - x) below), in fp32.

    Stablemax is the reference code's remedy for softmax collapse late in training. Returns zeros
    where `labels == -100`.
    """
    logits = logits.float()
    # The clamp keeps the unused branch finite (1 / (1 - x) is infinite at x = 1), else its NaN
    # gradient leaks through `torch.where`.
    s = torch.where(logits < 0, 1 / (1 - logits.clamp(max=0)), logits + 1)
    log_probs = torch.log(s / s.sum(dim=-1, keepdim=True))
    valid = labels != IGNORE_INDEX
    picked = log_probs.gather(-1, torch.where(valid, labels, 0).unsqueeze(-1)).squeeze(-1)
    return -torch.where(valid, picked, 0.0)


def softmax_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-token softmax cross entropy in fp32; zeros where `labels == -100`."""
    flat = F.cross_entropy(
        logits.float().flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX, reduction="none"
    )
    return flat.view(labels.shape)


def token_exact_match(predictions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Whether each predicted sequence equals its labels on every labelled position.

    What the halting head learns to predict ("the whole answer is right"), and the token-level exact
    match of `training/metrics`. NumPy arrays work the same (the operators are shared).

    Args:
        predictions (`torch.LongTensor` of shape `(batch, length)`): Predicted token ids.
        labels (`torch.LongTensor` of shape `(batch, length)`): Label ids, `IGNORE_INDEX` where not scored.

    Returns:
        `torch.BoolTensor` of shape `(batch,)`.
    """
    return ((predictions == labels) | (labels == IGNORE_INDEX)).all(-1)


class TRMSwiGLU(nn.Module):
    """SwiGLU feed-forward `down(silu(gate(h)) * up(h))`, without biases."""

    def __init__(self, size: int, intermediate_size: int) -> None:
        super().__init__()
        self.gate_up_proj = nn.Linear(size, 2 * intermediate_size, bias=False)
        self.down_proj = nn.Linear(intermediate_size, size, bias=False)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up_proj(hidden_states).chunk(2, dim=-1)
        return self.down_proj(F.silu(gate) * up)


def eager_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    **kwargs,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention as explicit matmuls with an fp32 softmax (`attn_implementation="eager"`).

    Takes `(batch, heads, seq, head_dim)` tensors and a boolean mask (True = attend) and returns the
    output as `(batch, seq, heads, head_dim)` with the attention weights, like `transformers`' kernels.
    """
    scores = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        scores = scores.masked_fill(~attention_mask, float("-inf"))
    weights = scores.float().softmax(dim=-1).to(value.dtype)
    return torch.matmul(weights, value).transpose(1, 2), weights


class TRMAttention(nn.Module):
    """Non-causal multi-head self-attention with RoPE, through the `attn_implementation` kernel.

    `"sdpa"` (the default) runs `F.scaled_dot_product_attention`, except on a CPU in bf16: there
    PyTorch's fused CPU kernel took 3.4-4.6x as long forward and backward as the matmuls of
    `"eager"` on our shapes (`python examples/attention_kernels.py`), so eager runs instead.
    """

    is_causal = False

    def __init__(self, config: TRMConfig) -> None:
        super().__init__()
        self.config = config
        self.num_heads = config.num_heads
        self.head_dim = config.head_dim
        self.scaling = config.head_dim**-0.5
        self.qkv_proj = nn.Linear(config.hidden_size, 3 * config.hidden_size, bias=False)
        self.o_proj = nn.Linear(config.hidden_size, config.hidden_size, bias=False)

    def attention_kernel(self, query: torch.Tensor) -> str:
        """The configured `attn_implementation`, with "sdpa" on a CPU bf16 tensor run as "eager"."""
        implementation = self.config._attn_implementation
        if implementation == "sdpa" and query.device.type == "cpu" and query.dtype == torch.bfloat16:
            return "eager"
        return implementation

    def forward(
        self,
        hidden_states: torch.Tensor,
        rotary: tuple[torch.Tensor, torch.Tensor] | None,
        attn_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        batch, seq_len, _ = hidden_states.shape
        qkv = self.qkv_proj(hidden_states).view(batch, seq_len, 3, self.num_heads, self.head_dim)
        query_key, value = qkv[:, :, :2], qkv[:, :, 2]
        if rotary is not None:
            query_key = apply_rotary(query_key, *rotary)  # query and key in one pass
        query, key = query_key.unbind(2)
        query, key, value = (t.transpose(1, 2) for t in (query, key, value))  # (batch, heads, seq, head_dim)
        kernel = ALL_ATTENTION_FUNCTIONS.get_interface(self.attention_kernel(query), eager_attention_forward)
        attended, _ = kernel(self, query, key, value, attn_mask, scaling=self.scaling, dropout=0.0)
        return self.o_proj(attended.reshape(batch, seq_len, -1))


class TRMSequenceMLP(nn.Module):
    """The paper's TRM-MLP token mixer: a SwiGLU over the sequence axis of the transposed activations."""

    def __init__(self, config: TRMConfig, seq_len: int) -> None:
        super().__init__()
        self.mlp = TRMSwiGLU(seq_len, swiglu_width(config.expansion, seq_len))

    def forward(self, hidden_states: torch.Tensor, rotary: None, attn_mask: None) -> torch.Tensor:
        return self.mlp(hidden_states.transpose(1, 2)).transpose(1, 2)


class TRMBlock(nn.Module):
    """Post-norm block: `h = norm(h + mixer(h)); h = norm(h + swiglu(h))`."""

    def __init__(self, config: TRMConfig, seq_len: int) -> None:
        super().__init__()
        self.eps = config.rms_norm_eps
        self.mixer = TRMAttention(config) if config.mixer == "attention" else TRMSequenceMLP(config, seq_len)
        self.mlp = TRMSwiGLU(config.hidden_size, config.intermediate_size)

    def forward(
        self,
        hidden_states: torch.Tensor,
        rotary: tuple[torch.Tensor, torch.Tensor] | None,
        attn_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        hidden_states = rms_norm(hidden_states + self.mixer(hidden_states, rotary, attn_mask), self.eps)
        return rms_norm(hidden_states + self.mlp(hidden_states), self.eps)


class TRMHaltingHead(nn.Linear):
    """Halting logit from the first position's answer state; zero weights and bias -5 at init."""


class TRMPuzzleEmbedding(nn.Embedding):
    """Per-puzzle embedding table, one `hidden_size` vector per puzzle; zero at init (reference code).

    Trained by sign-SGD at its own rate (`training/sign_sgd.py`): each step moves only the rows of
    the batch's puzzles. The reference keeps it as a buffer with a hand-made sparse gradient; a
    parameter with a dense gradient is what `save_pretrained`, the Trainer and DDP expect.
    """


class TRMRecursion(nn.Module):
    """The tiny network and the recursion over it: cycles of latent and answer updates.

    Heads embed their input into `x` of shape `(batch, seq_len, hidden_size)` and read their outputs
    from `y`; this module owns the blocks, the two fixed state init vectors and the halting head.
    """

    def __init__(self, config: TRMConfig, seq_len: int) -> None:
        super().__init__()
        self.config = config
        self.layers = nn.ModuleList(TRMBlock(config, seq_len) for _ in range(config.num_layers))
        self.q_head = TRMHaltingHead(config.hidden_size, 1, bias=True)
        self.register_buffer("y_init", torch.empty(config.hidden_size))
        self.register_buffer("z_init", torch.empty(config.hidden_size))

    def net(
        self,
        hidden_states: torch.Tensor,
        rotary: tuple[torch.Tensor, torch.Tensor] | None,
        attn_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        """One application of the tiny network (all blocks)."""
        for layer in self.layers:
            hidden_states = layer(hidden_states, rotary, attn_mask)
        return hidden_states

    def initial_state(self, x: torch.Tensor) -> TRMCarry:
        """The state a fresh sequence starts from: the init vectors broadcast to `x`'s shape."""
        return TRMCarry(y=self.y_init.to(x.dtype).expand_as(x), z=self.z_init.to(x.dtype).expand_as(x))

    def reset(self, carry: TRMCarry, reset_mask: torch.Tensor) -> TRMCarry:
        """Put the rows where `reset_mask` (shape `(batch,)`) is True back to the initial state."""
        mask = reset_mask.view(-1, 1, 1)
        fresh = self.initial_state(carry.y)
        return TRMCarry(y=torch.where(mask, fresh.y, carry.y), z=torch.where(mask, fresh.z, carry.z))

    def improve(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        z: torch.Tensor,
        rotary: tuple[torch.Tensor, torch.Tensor] | None,
        attn_mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One improvement cycle: n latent updates `z = net(z + y + x)`, then `y = net(y + z)`."""
        y_plus_x = y + x  # fixed during the latent updates
        for _ in range(self.config.L_cycles):
            z = self.net(z + y_plus_x, rotary, attn_mask)
        y = self.net(y + z, rotary, attn_mask)
        return y, z

    def forward(
        self,
        x: torch.Tensor,
        carry: TRMCarry,
        rotary: tuple[torch.Tensor, torch.Tensor] | None,
        attn_mask: torch.Tensor | None,
    ) -> tuple[TRMCarry, torch.Tensor, torch.Tensor]:
        """One supervision step: T-1 cycles without gradient, then one cycle with gradient.

        Returns:
            `(carry, y, q_halt_logits)`: the new state detached, the answer state with gradient of
            shape `(batch, seq_len, hidden_size)`, and fp32 halting logits of shape `(batch,)`.
        """
        y, z = carry.y, carry.z
        with torch.no_grad():
            for _ in range(self.config.H_cycles - 1):
                y, z = self.improve(x, y, z, rotary, attn_mask)
        y, z = self.improve(x, y, z, rotary, attn_mask)
        q_halt_logits = self.q_head(y[:, 0]).float().squeeze(-1)
        return TRMCarry(y=y.detach(), z=z.detach()), y, q_halt_logits


class TRMPreTrainedModel(PreTrainedModel):
    """What the TRM heads share: class-level facts, weight init, the end of the embedding, the carry,
    the supervision step, its loss and the ACT generation loop.

    A head defines `embed` (its input into `x`, finished by `_embed_tail`), with every argument but
    `input_ids` optional, and `_read_logits` (where its output is read from `y`); it owns
    `embed_scale`, `embed_positions` (or `None`), `recursion` and `lm_head`.
    """

    config_class = TRMConfig
    base_model_prefix = "trm"
    main_input_name = "input_ids"
    _no_split_modules = ["TRMBlock"]
    _supports_sdpa = True

    def _init_weights(self, module: nn.Module) -> None:
        """Truncated normal at 2 sigma with std 1/sqrt(fan_in) (linear) or 1/sqrt(D) (embeddings)."""
        if isinstance(module, TRMHaltingHead):
            # Start by never halting, so early training runs every step (reference code).
            init.zeros_(module.weight)
            init.constant_(module.bias, -5.0)
        elif isinstance(module, nn.Linear):
            std = module.in_features**-0.5
            init.trunc_normal_(module.weight, std=std, a=-2 * std, b=2 * std)
        elif isinstance(module, nn.Embedding):
            std = self.config.hidden_size**-0.5
            init.trunc_normal_(module.weight, std=std, a=-2 * std, b=2 * std)
        elif isinstance(module, TRMRecursion):
            init.trunc_normal_(module.y_init, std=1.0, a=-2.0, b=2.0)
            init.trunc_normal_(module.z_init, std=1.0, a=-2.0, b=2.0)

    def embed(
        self, input_ids: torch.LongTensor, *args, **kwargs
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None, torch.Tensor | None]:
        """Embed the input into `x` and build the RoPE tables and attention mask; each head defines it."""
        raise NotImplementedError

    def _embed_tail(
        self, x: torch.Tensor, attention_mask: torch.Tensor | None, prefix_length: int
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None, torch.Tensor | None]:
        """Finish an embedding: add the learned positions (if any), scale by sqrt(D), and build the RoPE
        tables and the attention mask once per step.

        Args:
            x (`torch.FloatTensor` of shape `(batch, sequence, hidden_size)`): The unscaled embedding:
                `prefix_length` positions of the head's own (slots, puzzle embedding), then the input.
            attention_mask (`torch.Tensor` of shape `(batch, sequence - prefix_length)`, *optional*): 1 on
                input positions to attend to, 0 on padding; the prefix positions are always attended.
            prefix_length (`int`): Positions before the input.

        Returns:
            `(x, rotary, attn_mask)`: `x` of shape `(batch, sequence, hidden_size)`, the RoPE tables
            (or `None`) and a boolean SDPA mask of shape `(batch, 1, 1, sequence)` (or `None`).
        """
        config = self.config
        batch, seq_len, _ = x.shape
        if self.embed_positions is not None:
            # 1/sqrt(2) keeps the sum at unit scale (reference code).
            x = 0.707106781 * (x + self.embed_positions.weight[:seq_len])
        x = self.embed_scale * x
        rotary = None
        if config.pos_encoding == "rope" and config.mixer == "attention":
            rotary = rotary_tables(seq_len, config.head_dim, config.rope_theta, x.device)
        attn_mask = None
        if attention_mask is not None and config.mixer == "attention":
            prefix_mask = attention_mask.new_ones(batch, prefix_length)
            attn_mask = torch.cat((prefix_mask, attention_mask), dim=1).bool()[:, None, None, :]
        return x, rotary, attn_mask

    def initial_carry(self, input_ids: torch.LongTensor) -> TRMCarry:
        """The fresh state for a batch of inputs (what `carry=None` means)."""
        x, _, _ = self.embed(input_ids)
        return self.recursion.initial_state(x)

    def reset_carry(self, carry: TRMCarry, reset_mask: torch.Tensor) -> TRMCarry:
        """Return `carry` with the rows where `reset_mask` is True put back to the initial state."""
        return self.recursion.reset(carry, reset_mask)

    def _read_logits(self, y: torch.Tensor) -> torch.Tensor:
        """Logits of the positions of `y` that hold the output; each head defines it."""
        raise NotImplementedError

    def _step(
        self,
        x: torch.Tensor,
        rotary: tuple[torch.Tensor, torch.Tensor] | None,
        attn_mask: torch.Tensor | None,
        carry: TRMCarry | None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, TRMCarry | None]:
        """One supervision step on embedded input: `(logits, q_halt_logits, carry)`."""
        if self.config.single_pass:
            return self._read_logits(self.recursion.net(x, rotary, attn_mask)), None, None
        if carry is None:
            carry = self.recursion.initial_state(x)
        elif carry.y.shape != x.shape:
            raise ValueError(
                f"`carry` has shape {tuple(carry.y.shape)} but the embedded input has {tuple(x.shape)}; "
                "keep the input padding fixed across the supervision steps of a sequence."
            )
        carry, y, q_halt_logits = self.recursion(x, carry, rotary, attn_mask)
        return self._read_logits(y), q_halt_logits, carry

    def _step_output(
        self,
        logits: torch.Tensor,
        q_halt_logits: torch.Tensor | None,
        carry: TRMCarry | None,
        labels: torch.LongTensor | None,
        return_dict: bool | None,
    ) -> TRMOutput | tuple:
        """`forward`'s output: with labels, the cross entropy over labelled positions (mean per
        sequence) plus `q_loss_weight` times the BCE of the halting logit against "exactly right"."""
        loss = lm_loss = q_halt_loss = None
        if labels is not None:
            loss_fn = (
                stablemax_cross_entropy if self.config.loss_type == "stablemax" else softmax_cross_entropy
            )
            valid = labels != IGNORE_INDEX
            lm_loss = (loss_fn(logits, labels).sum(-1) / valid.sum(-1).clamp_min(1)).mean()
            loss = lm_loss
            if q_halt_logits is not None:
                exactly_right = token_exact_match(logits.argmax(-1), labels)
                q_halt_loss = F.binary_cross_entropy_with_logits(q_halt_logits, exactly_right.float())
                loss = lm_loss + self.config.q_loss_weight * q_halt_loss
        output = TRMOutput(
            loss=loss,
            logits=logits,
            q_halt_logits=q_halt_logits,
            carry=carry,
            lm_loss=lm_loss,
            q_halt_loss=q_halt_loss,
        )
        return output if return_dict is not False else output.to_tuple()

    def _generate_embedded(
        self,
        x: torch.Tensor,
        rotary: tuple[torch.Tensor, torch.Tensor] | None,
        attn_mask: torch.Tensor | None,
        output_length: int,
        max_supervision_steps: int | None,
        use_act: bool,
        return_dict_in_generate: bool,
        output_step_predictions: bool,
        halt_threshold: float | None,
    ) -> torch.LongTensor | TRMGenerateOutput:
        """`generate` on embedded input: supervision steps until each sequence halts (`use_act`) or all
        steps ran; halted sequences leave the working batch, so they stop costing compute."""
        steps = self.config.max_supervision_steps
        if max_supervision_steps and not self.config.single_pass:
            steps = max_supervision_steps  # may exceed N_sup: refinement past the trained number of steps
        threshold = self.config.halt_threshold if halt_threshold is None else halt_threshold
        batch = x.shape[0]
        sequences = torch.zeros(batch, output_length, dtype=torch.long, device=x.device)
        num_steps = torch.zeros(batch, dtype=torch.long, device=x.device)
        step_predictions = []
        active = torch.arange(batch, device=x.device)
        carry = None
        for step in range(steps):
            logits, q_halt_logits, carry = self._step(x, rotary, attn_mask, carry)
            sequences[active] = logits.argmax(-1)
            num_steps[active] = step + 1
            if output_step_predictions:
                step_predictions.append(sequences.clone())
            if not use_act or q_halt_logits is None or step == steps - 1:
                continue
            running = q_halt_logits <= threshold
            if not running.any():
                break
            if not running.all():
                active, x = active[running], x[running]
                carry = TRMCarry(y=carry.y[running], z=carry.z[running])
                if attn_mask is not None:
                    attn_mask = attn_mask[running]
        if output_step_predictions:
            # Sequences that halted keep their prediction for the remaining steps.
            step_predictions += [sequences.clone()] * (steps - len(step_predictions))

        if not return_dict_in_generate:
            return sequences
        return TRMGenerateOutput(
            sequences=sequences,
            num_steps=num_steps,
            step_predictions=torch.stack(step_predictions) if output_step_predictions else None,
        )


class TRMForMathQA(TRMPreTrainedModel, GenerationMixin):
    """TRM for math question answering: the question in, a fixed number of answer tokens out.

    The network sees `[summary slot | answer_length answer slots | question tokens]`. The summary
    slot's answer state feeds the halting head; the answer slots' answer states feed the LM head.
    Placing the slots before the question keeps their positions fixed whatever the padding.
    """

    def __init__(self, config: TRMConfig) -> None:
        super().__init__(config)
        hidden = config.hidden_size
        self.embed_scale = hidden**0.5
        self.embed_tokens = nn.Embedding(config.vocab_size, hidden)
        self.embed_slots = nn.Embedding(1 + config.answer_length, hidden)  # summary slot, answer slots
        self.embed_positions = (
            nn.Embedding(config.sequence_length, hidden) if config.pos_encoding == "learned" else None
        )
        self.recursion = TRMRecursion(config, config.sequence_length)
        self.lm_head = nn.Linear(hidden, config.vocab_size, bias=False)
        self.post_init()

    def _check_inputs(self, input_ids: torch.Tensor, labels: torch.Tensor | None) -> None:
        if input_ids.dim() != 2:
            raise ValueError(f"`input_ids` must have shape (batch, length), got {tuple(input_ids.shape)}.")
        if input_ids.shape[1] > self.config.max_question_length:
            raise ValueError(
                f"`input_ids` has {input_ids.shape[1]} tokens but `max_question_length` is "
                f"{self.config.max_question_length}; filter or shorten questions before calling the model."
            )
        if labels is not None and tuple(labels.shape) != (input_ids.shape[0], self.config.answer_length):
            raise ValueError(
                f"`labels` must have shape (batch, answer_length) = ({input_ids.shape[0]}, "
                f"{self.config.answer_length}), got {tuple(labels.shape)}."
            )

    def embed(
        self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None, torch.Tensor | None]:
        """Embed the question and the slots into `x`, and build the RoPE tables and attention mask once.

        Returns:
            `(x, rotary, attn_mask)`: `x` of shape `(batch, sequence, hidden_size)`, the RoPE tables
            (or `None`) and a boolean SDPA mask of shape `(batch, 1, 1, sequence)` (or `None`).
        """
        batch, question_len = input_ids.shape
        if self.config.mixer == "mlp" and question_len < self.config.max_question_length:
            # The sequence MLP mixes a fixed number of positions: pad the question to full length.
            pad = self.config.max_question_length - question_len
            input_ids = F.pad(input_ids, (0, pad), value=self.config.pad_token_id)
            if attention_mask is not None:
                attention_mask = F.pad(attention_mask, (0, pad), value=0)
        slots = self.embed_slots.weight.unsqueeze(0).expand(batch, -1, -1)
        x = torch.cat((slots, self.embed_tokens(input_ids)), dim=1)
        return self._embed_tail(x, attention_mask, prefix_length=slots.shape[1])

    def _read_logits(self, y: torch.Tensor) -> torch.Tensor:
        return self.lm_head(y[:, 1 : 1 + self.config.answer_length])

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        carry: TRMCarry | None = None,
        return_dict: bool | None = None,
    ) -> TRMOutput | tuple:
        """One supervision step: T-1 improvement cycles without gradient, one with, from `carry`.

        Args:
            input_ids (`torch.LongTensor` of shape `(batch, question_length)`): Question tokens only,
                right-padded; at most `max_question_length`.
            attention_mask (`torch.Tensor` of shape `(batch, question_length)`, *optional*): 1 for real
                tokens, 0 for padding.
            labels (`torch.LongTensor` of shape `(batch, answer_length)`, *optional*): Answer token
                ids, -100 where padded. When given, the loss is computed.
            carry (`TRMCarry`, *optional*): State from the previous step; `None` starts fresh.
            return_dict (`bool`, *optional*): Return a tuple when `False`.

        Returns:
            [`TRMOutput`]: logits, halting logits, the new detached carry and, with labels, the losses.
        """
        self._check_inputs(input_ids, labels)
        x, rotary, attn_mask = self.embed(input_ids, attention_mask)
        logits, q_halt_logits, new_carry = self._step(x, rotary, attn_mask, carry)
        return self._step_output(logits, q_halt_logits, new_carry, labels, return_dict)

    @torch.inference_mode()
    def generate(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        max_supervision_steps: int | None = None,
        use_act: bool = True,
        return_dict_in_generate: bool = False,
        output_step_predictions: bool = False,
        halt_threshold: float | None = None,
    ) -> torch.LongTensor | TRMGenerateOutput:
        """Answer questions by chaining supervision steps, halting each sequence on its own.

        With `use_act`, a sequence halts once its halting logit exceeds `halt_threshold`; halted
        sequences leave the working batch, so they stop costing compute. Otherwise every sequence
        runs all steps.

        Args:
            input_ids (`torch.LongTensor` of shape `(batch, question_length)`): Question tokens.
            attention_mask (`torch.Tensor` of shape `(batch, question_length)`, *optional*): Padding mask.
            max_supervision_steps (`int`, *optional*): Steps at most (may exceed N_sup); defaults to
                `config.max_supervision_steps`. The single-pass baseline always runs its one step.
            use_act (`bool`, *optional*, defaults to `True`): Halt per sequence on `q_halt > halt_threshold`.
            return_dict_in_generate (`bool`, *optional*, defaults to `False`): Return a
                [`TRMGenerateOutput`] instead of the answer tokens.
            output_step_predictions (`bool`, *optional*, defaults to `False`): Record the prediction
                after every step (for refinement curves).
            halt_threshold (`float`, *optional*): Halting logit to exceed; defaults to
                `config.halt_threshold` (0, the paper's rule).

        Returns:
            `torch.LongTensor` of shape `(batch, answer_length)`, or [`TRMGenerateOutput`].
        """
        self._check_inputs(input_ids, None)
        x, rotary, attn_mask = self.embed(input_ids, attention_mask)
        return self._generate_embedded(
            x,
            rotary,
            attn_mask,
            self.config.answer_length,
            max_supervision_steps,
            use_act,
            return_dict_in_generate,
            output_step_predictions,
            halt_threshold,
        )


class TRMForPuzzles(TRMPreTrainedModel, GenerationMixin):
    """TRM for grid puzzles: a grid of `seq_len` tokens in, the solved grid out.

    The network sees `[puzzle_emb_len puzzle-embedding positions | seq_len grid cells]`: the first
    position holds the puzzle's embedding, the others zeros. The first position's answer state feeds
    the halting head; the grid cells' answer states feed the LM head.
    """

    config_class = TRMPuzzleConfig

    def __init__(self, config: TRMPuzzleConfig) -> None:
        super().__init__(config)
        hidden = config.hidden_size
        self.embed_scale = hidden**0.5
        self.embed_tokens = nn.Embedding(config.vocab_size, hidden)
        self.puzzle_emb = (
            TRMPuzzleEmbedding(config.num_puzzle_identifiers, hidden) if config.puzzle_emb_len > 0 else None
        )
        self.embed_positions = (
            nn.Embedding(config.sequence_length, hidden) if config.pos_encoding == "learned" else None
        )
        self.recursion = TRMRecursion(config, config.sequence_length)
        self.lm_head = nn.Linear(hidden, config.vocab_size, bias=False)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        """As [`TRMPreTrainedModel`], except the puzzle embedding starts at zero (reference code)."""
        if isinstance(module, TRMPuzzleEmbedding):
            init.zeros_(module.weight)
        else:
            super()._init_weights(module)

    def puzzle_embedding_parameters(self) -> list[nn.Parameter]:
        """The parameters to train with sign-SGD at `puzzle_emb_lr` (empty without a puzzle embedding)."""
        return [] if self.puzzle_emb is None else [self.puzzle_emb.weight]

    def _check_inputs(
        self,
        input_ids: torch.Tensor,
        puzzle_identifiers: torch.Tensor | None,
        labels: torch.Tensor | None,
    ) -> None:
        config = self.config
        if input_ids.dim() != 2 or input_ids.shape[1] != config.seq_len:
            raise ValueError(
                f"`input_ids` must have shape (batch, seq_len) with seq_len={config.seq_len} (the whole "
                f"grid), got {tuple(input_ids.shape)}."
            )
        if input_ids.numel() and (input_ids.min() < 0 or input_ids.max() >= config.vocab_size):
            raise ValueError(
                f"`input_ids` holds token ids in [{int(input_ids.min())}, {int(input_ids.max())}] but "
                f"`vocab_size` is {config.vocab_size}."
            )
        if labels is not None and labels.shape != input_ids.shape:
            raise ValueError(
                f"`labels` must have the shape of `input_ids` {tuple(input_ids.shape)}, "
                f"got {tuple(labels.shape)}."
            )
        if puzzle_identifiers is not None:
            if tuple(puzzle_identifiers.shape) != (input_ids.shape[0],):
                raise ValueError(
                    f"`puzzle_identifiers` must have shape (batch,) = ({input_ids.shape[0]},), "
                    f"got {tuple(puzzle_identifiers.shape)}."
                )
            if puzzle_identifiers.numel() and (
                puzzle_identifiers.min() < 0 or puzzle_identifiers.max() >= config.num_puzzle_identifiers
            ):
                raise ValueError(
                    f"`puzzle_identifiers` must be in [0, {config.num_puzzle_identifiers}) "
                    f"(`num_puzzle_identifiers`), got [{int(puzzle_identifiers.min())}, "
                    f"{int(puzzle_identifiers.max())}]."
                )

    def embed(
        self,
        input_ids: torch.LongTensor,
        puzzle_identifiers: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None, torch.Tensor | None]:
        """Embed the grid and the puzzle positions into `x`; build the RoPE tables and attention mask once.

        Returns:
            `(x, rotary, attn_mask)`: `x` of shape `(batch, puzzle_emb_len + seq_len, hidden_size)`, the
            RoPE tables (or `None`) and a boolean SDPA mask of shape `(batch, 1, 1, sequence)` (or `None`).
        """
        batch = input_ids.shape[0]
        config = self.config
        x = self.embed_tokens(input_ids)
        if self.puzzle_emb is not None:
            if puzzle_identifiers is None:
                puzzle_identifiers = input_ids.new_zeros(batch)  # the blank puzzle
            # One learned vector in the first position, zeros in the other puzzle_emb_len - 1: the
            # reference's puzzle_emb_ndim = hidden_size, zero-padded to puzzle_emb_len positions.
            puzzle = self.puzzle_emb(puzzle_identifiers)[:, None]  # (batch, 1, hidden)
            puzzle = F.pad(puzzle, (0, 0, 0, config.puzzle_emb_len - 1))  # (batch, puzzle_emb_len, hidden)
            x = torch.cat((puzzle, x), dim=1)
        return self._embed_tail(x, attention_mask, prefix_length=config.puzzle_emb_len)

    def _read_logits(self, y: torch.Tensor) -> torch.Tensor:
        return self.lm_head(y[:, self.config.puzzle_emb_len :])

    def forward(
        self,
        input_ids: torch.LongTensor,
        puzzle_identifiers: torch.LongTensor | None = None,
        labels: torch.LongTensor | None = None,
        carry: TRMCarry | None = None,
        attention_mask: torch.Tensor | None = None,
        return_dict: bool | None = None,
    ) -> TRMOutput | tuple:
        """One supervision step: T-1 improvement cycles without gradient, one with, from `carry`.

        Args:
            input_ids (`torch.LongTensor` of shape `(batch, seq_len)`): The puzzle grids, row-major.
            puzzle_identifiers (`torch.LongTensor` of shape `(batch,)`, *optional*): Rows of the
                puzzle embedding table; `None` means the blank identifier 0.
            labels (`torch.LongTensor` of shape `(batch, seq_len)`, *optional*): Solved grids, -100 on
                cells that are not scored. When given, the loss is computed.
            carry (`TRMCarry`, *optional*): State from the previous step; `None` starts fresh.
            attention_mask (`torch.Tensor` of shape `(batch, seq_len)`, *optional*): 0 on cells no other
                cell should attend to (attention mixer only).
            return_dict (`bool`, *optional*): Return a tuple when `False`.

        Returns:
            [`TRMOutput`]: logits `(batch, seq_len, vocab_size)`, halting logits, the new detached carry
            and, with labels, the losses (cross entropy over labelled cells, mean per grid, plus
            `q_loss_weight` times the BCE of the halting logit against "the whole grid is right").
        """
        self._check_inputs(input_ids, puzzle_identifiers, labels)
        x, rotary, attn_mask = self.embed(input_ids, puzzle_identifiers, attention_mask)
        logits, q_halt_logits, new_carry = self._step(x, rotary, attn_mask, carry)
        return self._step_output(logits, q_halt_logits, new_carry, labels, return_dict)

    @torch.inference_mode()
    def generate(
        self,
        input_ids: torch.LongTensor,
        puzzle_identifiers: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        max_supervision_steps: int | None = None,
        use_act: bool = True,
        return_dict_in_generate: bool = False,
        output_step_predictions: bool = False,
        halt_threshold: float | None = None,
    ) -> torch.LongTensor | TRMGenerateOutput:
        """Solve grids by chaining supervision steps, halting each grid on its own.

        With `use_act`, a grid halts once its halting logit exceeds `halt_threshold` and leaves the
        working batch, so it stops costing compute. Otherwise every grid runs all steps.

        Args:
            input_ids (`torch.LongTensor` of shape `(batch, seq_len)`): The puzzle grids.
            puzzle_identifiers (`torch.LongTensor` of shape `(batch,)`, *optional*): Puzzle embedding rows.
            attention_mask (`torch.Tensor` of shape `(batch, seq_len)`, *optional*): As in `forward`.
            max_supervision_steps (`int`, *optional*): Steps at most (may exceed N_sup); defaults to
                `config.max_supervision_steps`. The single-pass baseline always runs its one step.
            use_act (`bool`, *optional*, defaults to `True`): Halt per grid on `q_halt > halt_threshold`.
            return_dict_in_generate (`bool`, *optional*, defaults to `False`): Return a
                [`TRMGenerateOutput`] instead of the predicted grids.
            output_step_predictions (`bool`, *optional*, defaults to `False`): Record the prediction
                after every step (for refinement curves).
            halt_threshold (`float`, *optional*): Halting logit to exceed; defaults to
                `config.halt_threshold` (0, the paper's rule).

        Returns:
            `torch.LongTensor` of shape `(batch, seq_len)`, or [`TRMGenerateOutput`] whose `sequences`
            and `step_predictions` are grids.
        """
        self._check_inputs(input_ids, puzzle_identifiers, None)
        x, rotary, attn_mask = self.embed(input_ids, puzzle_identifiers, attention_mask)
        return self._generate_embedded(
            x,
            rotary,
            attn_mask,
            self.config.seq_len,
            max_supervision_steps,
            use_act,
            return_dict_in_generate,
            output_step_predictions,
            halt_threshold,
        )


__all__ = [
    "IGNORE_INDEX",
    "TRMCarry",
    "TRMForMathQA",
    "TRMForPuzzles",
    "TRMGenerateOutput",
    "TRMOutput",
    "TRMPreTrainedModel",
    "TRMPuzzleEmbedding",
    "token_exact_match",
]
