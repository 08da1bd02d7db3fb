"""Tiny Recursive Models for grid puzzles: the TRM core of `modeling_trm.py` on a grid, cell by cell.

The grid is the sequence: input and output are aligned cell by cell, so the answer state `y` at
cell i predicts the solved cell i. An optional per-puzzle embedding is prepended as
`puzzle_emb_len` positions (the puzzle's learned vector, then zeros); the halting head reads the
first position.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import GenerationMixin
from transformers import initialization as init
from transformers.utils import logging

from .configuration_trm_puzzle import TRMPuzzleConfig
from .modeling_trm import (
    TRMCarry,
    TRMGenerateOutput,
    TRMOutput,
    TRMPreTrainedModel,
    TRMRecursion,
)

logger = logging.get_logger(__name__)


class TRMPuzzleEmbedding(nn.Embedding):
    """Per-puzzle embedding table, one `hidden_size` vector per puzzle; zero at init (reference code).

    Trained by sign-SGD at its own rate (`training/sign_sgd.py`): each step moves only the rows of
    the batch's puzzles. The reference keeps it as a buffer with a hand-made sparse gradient; a
    parameter with a dense gradient is what `save_pretrained`, the Trainer and DDP expect.
    """


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


__all__ = ["TRMForPuzzles", "TRMPuzzleEmbedding"]
