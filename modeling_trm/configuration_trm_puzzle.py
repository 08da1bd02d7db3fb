"""Configuration of Tiny Recursive Models for grid puzzles (Sudoku, Maze, ARC)."""

from __future__ import annotations

from .configuration_trm import TRMConfig


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


__all__ = ["TRMPuzzleConfig"]
