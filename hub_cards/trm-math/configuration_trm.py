"""Configurations of Tiny Recursive Models (TRM, arXiv:2510.04871): `TRMConfig` (math question answering)
and `TRMPuzzleConfig` (grid puzzles: Sudoku, Maze, ARC)."""

from __future__ import annotations

import math

from transformers import PretrainedConfig

MIXERS = ("attention", "mlp")
POS_ENCODINGS = ("rope", "learned", "none")
LOSS_TYPES = ("stablemax", "softmax")


def swiglu_width(expansion: float, size: int) -> int:
    """SwiGLU hidden width: `round(expansion * size * 2 / 3)` rounded up to a multiple of 256."""
    width = round(expansion * size * 2 / 3)
    return -(-width // 256) * 256


class TRMConfig(PretrainedConfig):
    r"""Configuration of a [`TRMForMathQA`]: one tiny network applied recursively.

    Defaults are the paper's. A supervision step (one `forward`) runs T = `H_cycles` improvement
    cycles, each made of n = `L_cycles` latent updates `z = net(z + y + x)` and one answer update
    `y = net(y + z)`; training and `generate` chain up to N_sup = `halt_max_steps` such steps.

    Args:
        vocab_size (`int`, *optional*, defaults to 4096): Tokenizer vocabulary size.
        hidden_size (`int`, *optional*, defaults to 512): Width D of `x`, `y`, `z` and the blocks.
        num_heads (`int`, *optional*, defaults to 8): Attention heads; must divide `hidden_size`.
        expansion (`float`, *optional*, defaults to 4.0): SwiGLU width is
            `round(expansion * D * 2 / 3)` rounded up to a multiple of 256.
        num_layers (`int`, *optional*, defaults to 2): Blocks in the one tiny network.
        H_cycles (`int`, *optional*, defaults to 3): T in the paper, improvement cycles per
            supervision step; the first T-1 run without gradient.
        L_cycles (`int`, *optional*, defaults to 6): n in the paper, latent updates per cycle.
        halt_max_steps (`int`, *optional*, defaults to 16): N_sup in the paper, supervision steps at most.
        halt_exploration_prob (`float`, *optional*, defaults to 0.1): In training, the probability
            of drawing a random minimum of 2..N_sup steps before a sequence may halt.
        halt_threshold (`float`, *optional*, defaults to 0.0): `generate` with ACT stops a sequence
            once its halting logit exceeds this. 0 is the paper's rule (halting probability 1/2);
            higher values halt later and more surely, trading speed for accuracy.
        mixer (`str`, *optional*, defaults to `"attention"`): Token mixing, `"attention"` or `"mlp"`
            (a SwiGLU over the sequence axis, the paper's TRM-MLP; fixed sequence length).
        pos_encoding (`str`, *optional*, defaults to `"rope"`): `"rope"`, `"learned"` or `"none"`.
        rope_theta (`float`, *optional*, defaults to 10000.0): RoPE base.
        max_question_length (`int`, *optional*, defaults to 192): Longest question in tokens.
            Longer `input_ids` are an error, never truncated by the model.
        answer_length (`int`, *optional*, defaults to 48): Answer slots, i.e. answer tokens predicted.
        single_pass (`bool`, *optional*, defaults to `False`): Baseline: the same blocks applied
            once to the embedded input, no recursion and no halting; same parameter count.
        loss_type (`str`, *optional*, defaults to `"stablemax"`): `"stablemax"` (the reference's
            cross entropy) or `"softmax"`.
        q_loss_weight (`float`, *optional*, defaults to 0.5): Weight of the halting BCE loss.
        rms_norm_eps (`float`, *optional*, defaults to 1e-5): RMSNorm epsilon.
        pad_token_id (`int`, *optional*, defaults to 0): Padding id of the question tokens.
        eos_token_id (`int`, *optional*, defaults to 2): Token that ends an answer.

    Example:

    ```python
    >>> from modeling_trm import TRMConfig, TRMForMathQA
    >>> config = TRMConfig(vocab_size=4096, H_cycles=3, L_cycles=6)
    >>> model = TRMForMathQA(config)
    ```
    """

    model_type = "trm"

    def __init__(
        self,
        vocab_size: int = 4096,
        hidden_size: int = 512,
        num_heads: int = 8,
        expansion: float = 4.0,
        num_layers: int = 2,
        H_cycles: int = 3,
        L_cycles: int = 6,
        halt_max_steps: int = 16,
        halt_exploration_prob: float = 0.1,
        halt_threshold: float = 0.0,
        mixer: str = "attention",
        pos_encoding: str = "rope",
        rope_theta: float = 10000.0,
        max_question_length: int = 192,
        answer_length: int = 48,
        single_pass: bool = False,
        loss_type: str = "stablemax",
        q_loss_weight: float = 0.5,
        rms_norm_eps: float = 1e-5,
        pad_token_id: int = 0,
        eos_token_id: int = 2,
        **kwargs,
    ) -> None:
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_heads = num_heads
        self.expansion = expansion
        self.num_layers = num_layers
        self.H_cycles = H_cycles
        self.L_cycles = L_cycles
        self.halt_max_steps = halt_max_steps
        self.halt_exploration_prob = halt_exploration_prob
        self.halt_threshold = halt_threshold
        self.mixer = mixer
        self.pos_encoding = pos_encoding
        self.rope_theta = rope_theta
        self.max_question_length = max_question_length
        self.answer_length = answer_length
        self.single_pass = single_pass
        self.loss_type = loss_type
        self.q_loss_weight = q_loss_weight
        self.rms_norm_eps = rms_norm_eps
        self._validate()
        super().__init__(pad_token_id=pad_token_id, eos_token_id=eos_token_id, **kwargs)

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.hidden_size // self.num_heads

    @property
    def intermediate_size(self) -> int:
        """SwiGLU hidden width of the channel MLP."""
        return swiglu_width(self.expansion, self.hidden_size)

    @property
    def sequence_length(self) -> int:
        """Positions the network sees: one summary slot, the answer slots, then the question."""
        return 1 + self.answer_length + self.max_question_length

    @property
    def max_supervision_steps(self) -> int:
        """Supervision steps at most: N_sup, or 1 for the single-pass baseline."""
        return 1 if self.single_pass else self.halt_max_steps

    def _validate(self) -> None:
        positive = {
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "num_heads": self.num_heads,
            "expansion": self.expansion,
            "num_layers": self.num_layers,
            "H_cycles": self.H_cycles,
            "halt_max_steps": self.halt_max_steps,
            "max_question_length": self.max_question_length,
            "answer_length": self.answer_length,
            "rope_theta": self.rope_theta,
            "rms_norm_eps": self.rms_norm_eps,
        }
        if not self.single_pass:
            positive["L_cycles"] = self.L_cycles
        for name, value in positive.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"`{name}` must be a positive number, got {value!r}.")
        for name in (
            "vocab_size",
            "hidden_size",
            "num_heads",
            "num_layers",
            "H_cycles",
            "L_cycles",
            "halt_max_steps",
            "max_question_length",
            "answer_length",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"`{name}` must be an integer, got {value!r}.")
        if self.hidden_size % self.num_heads != 0:
            raise ValueError(
                f"`hidden_size` ({self.hidden_size}) must be divisible by `num_heads` ({self.num_heads})."
            )
        if self.pos_encoding == "rope" and self.head_dim % 2 != 0:
            raise ValueError(
                f"`hidden_size / num_heads` must be even for RoPE, got head dim {self.head_dim}."
            )
        if not 0.0 <= self.halt_exploration_prob <= 1.0:
            raise ValueError(
                f"`halt_exploration_prob` must be in [0, 1], got {self.halt_exploration_prob!r}."
            )
        threshold = self.halt_threshold
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, (int, float))
            or not math.isfinite(threshold)
        ):
            raise ValueError(f"`halt_threshold` must be a finite number, got {threshold!r}.")
        if self.q_loss_weight < 0:
            raise ValueError(f"`q_loss_weight` must be >= 0, got {self.q_loss_weight!r}.")
        for name, allowed in (("mixer", MIXERS), ("pos_encoding", POS_ENCODINGS), ("loss_type", LOSS_TYPES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"`{name}` must be one of {allowed}, got {getattr(self, name)!r}.")


class TRMPuzzleConfig(TRMConfig):
    r"""Configuration of a [`TRMForPuzzles`]: the TRM core on a grid, input and output cell by cell.

    Takes every [`TRMConfig`] field (the network, T = `H_cycles`, n = `L_cycles`, N_sup =
    `halt_max_steps`, the mixer and the loss) except the math lengths, which puzzles do not use,
    and adds the grid length and the per-puzzle embedding. Values come from the dataset's
    `metadata.json` (`seq_len`, `vocab_size`, `num_puzzle_identifiers`).

    Args:
        seq_len (`int`, *optional*, defaults to 81): Cells per grid (rows x cols), row-major.
        num_puzzle_identifiers (`int`, *optional*, defaults to 1): Rows of the per-puzzle embedding
            table, the blank identifier 0 included.
        puzzle_emb_len (`int`, *optional*, defaults to 16): Positions of the per-puzzle embedding
            prepended to the grid (the reference's 16): the first holds the puzzle's learned
            `hidden_size` vector, the others zeros. 0 turns the puzzle embedding off.
        puzzle_emb_lr (`float`, *optional*, defaults to 1e-2): Learning rate of the sign-SGD that
            trains the puzzle embedding (the reference's default; its Sudoku runs use 1e-4).
        vocab_size (`int`, *optional*, defaults to 11): Grid tokens (9x9 Sudoku: pad, empty, 9 digits).
        kwargs: The [`TRMConfig`] fields.

    Example:

    ```python
    >>> from modeling_trm import TRMPuzzleConfig, TRMForPuzzles
    >>> config = TRMPuzzleConfig(seq_len=81, vocab_size=11, mixer="mlp", pos_encoding="none")
    >>> model = TRMForPuzzles(config)
    ```
    """

    model_type = "trm_puzzle"

    def __init__(
        self,
        seq_len: int = 81,
        num_puzzle_identifiers: int = 1,
        puzzle_emb_len: int = 16,
        puzzle_emb_lr: float = 1e-2,
        vocab_size: int = 11,
        **kwargs,
    ) -> None:
        self.seq_len = seq_len
        self.num_puzzle_identifiers = num_puzzle_identifiers
        self.puzzle_emb_len = puzzle_emb_len
        self.puzzle_emb_lr = puzzle_emb_lr
        super().__init__(vocab_size=vocab_size, **kwargs)

    @property
    def sequence_length(self) -> int:
        """Positions the network sees: the puzzle-embedding positions, then the grid."""
        return self.puzzle_emb_len + self.seq_len

    def _validate(self) -> None:
        super()._validate()
        for name, minimum in (("seq_len", 1), ("num_puzzle_identifiers", 1), ("puzzle_emb_len", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}.")
        lr = self.puzzle_emb_lr
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or lr < 0:
            raise ValueError(f"`puzzle_emb_lr` must be a number >= 0, got {lr!r}.")


__all__ = ["TRMConfig", "TRMPuzzleConfig", "swiglu_width"]
