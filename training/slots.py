"""Bookkeeping for deep supervision: the example stream and the pool of batch slots.

Each slot of the training batch holds one example across several supervision steps, with its
recurrent state, its step count and the minimum number of steps it must run. A slot whose example
halted takes the next example from the stream; running slots keep theirs. The stream walks a
per-epoch permutation of the data (this process's shard of it), so every example enters a slot
exactly once per epoch and none is thrown away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from transformers.trainer_pt_utils import get_length_grouped_indices

from .metrics.token_match import IGNORE_INDEX, token_exact_match


class ExampleStream:
    """A seeded, resumable walk over this process's shard of a shuffled dataset, one epoch at a time.

    Args:
        num_examples (`int`): Size of the whole dataset.
        seed (`int`): Seed of the per-epoch permutations (the same on every process).
        process_index (`int`, *optional*, defaults to 0): This process's rank.
        num_processes (`int`, *optional*, defaults to 1): World size; process `r` takes `order[r::world]`.
        lengths (`Sequence[int]`, *optional*): Each example's length. When given, an epoch's order groups
            examples of similar length (`transformers`' `get_length_grouped_indices`: shuffled, then
            sorted by length within mega-batches of 50 global batches), so the examples in the slots at
            one time are alike in length and their padding can be cut.
        batch_size (`int`, *optional*, defaults to 1): Slots per process, the unit of that grouping.
    """

    def __init__(
        self,
        num_examples: int,
        seed: int,
        process_index: int = 0,
        num_processes: int = 1,
        lengths: Sequence[int] | None = None,
        batch_size: int = 1,
    ) -> None:
        if num_examples < num_processes:
            raise ValueError(f"{num_examples} examples cannot feed {num_processes} processes.")
        if lengths is not None and len(lengths) != num_examples:
            raise ValueError(f"Got {len(lengths)} lengths for {num_examples} examples.")
        self.num_examples = num_examples
        self.seed = seed
        self.process_index = process_index
        self.num_processes = num_processes
        self.lengths = lengths
        self.batch_size = batch_size
        self.epoch = 0
        self.position = 0
        self._order = self._shard_order()

    def _shard_order(self) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        if self.lengths is None:
            order = torch.randperm(self.num_examples, generator=generator)
        else:
            global_batch = self.batch_size * self.num_processes
            order = torch.tensor(get_length_grouped_indices(self.lengths, global_batch, generator=generator))
        return order[self.process_index :: self.num_processes]

    @property
    def exhausted(self) -> bool:
        """Whether this epoch's examples have all been taken."""
        return self.position >= len(self._order)

    @property
    def examples_taken(self) -> int:
        """Examples handed out so far, over all epochs (each epoch is taken whole before the next)."""
        return self.epoch * len(self._order) + self.position

    def start_next_epoch(self) -> None:
        """Move to the next epoch's permutation."""
        self.epoch += 1
        self.position = 0
        self._order = self._shard_order()

    def take(self, count: int) -> list[int]:
        """Up to `count` example indices of the current epoch (fewer once it runs out)."""
        taken = self._order[self.position : self.position + count].tolist()
        self.position += len(taken)
        return taken

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed}

    def load_state_dict(self, state: Mapping[str, int]) -> None:
        self.seed, self.epoch, self.position = state["seed"], state["epoch"], state["position"]
        self._order = self._shard_order()


class SlotPool:
    """The slots of one micro-batch: their inputs, recurrent state and halting bookkeeping.

    Args:
        num_slots (`int`): Slots in the pool (the per-device batch size).

    Tensors are created on the first `place` call, shaped after the first collated rows.
    `example_index` is -1 for an empty slot; `halted` slots take new examples at the next step.
    `prediction` holds each slot's predicted answer after its last step, once a halting rule needs it.
    """

    def __init__(self, num_slots: int) -> None:
        self.num_slots = num_slots
        self.inputs: dict[str, torch.Tensor] = {}
        self.carry: Any = None
        self.example_index = torch.full((num_slots,), -1, dtype=torch.long)
        self.steps = torch.zeros(num_slots, dtype=torch.long)
        self.min_steps = torch.zeros(num_slots, dtype=torch.long)
        self.halted = torch.ones(num_slots, dtype=torch.bool)
        self.prediction: torch.Tensor | None = None

    def to(self, device: torch.device) -> SlotPool:
        """Move the bookkeeping tensors to `device` (the inputs and carry follow on creation)."""
        for name in ("example_index", "steps", "min_steps", "halted"):
            setattr(self, name, getattr(self, name).to(device))
        return self

    @property
    def active(self) -> torch.Tensor:
        """Boolean mask of slots holding an example."""
        return self.example_index >= 0

    def place(
        self,
        slots: torch.Tensor,
        indices: list[int],
        rows: Mapping[str, torch.Tensor],
        min_steps: torch.Tensor,
    ) -> None:
        """Put collated `rows` for examples `indices` into `slots` (a LongTensor of slot numbers)."""
        for name, value in rows.items():
            if name not in self.inputs:
                self.inputs[name] = value.new_zeros((self.num_slots, *value.shape[1:]))
            self.inputs[name][slots] = value
        self.example_index[slots] = torch.tensor(indices, device=slots.device)
        self.steps[slots] = 0
        self.min_steps[slots] = min_steps
        self.halted[slots] = False

    def answer_unchanged(
        self, active: torch.Tensor, prediction: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        """Whether each of the `active` slots predicted the same answer (every labelled position) as after
        its previous step, never after its first; remembers `prediction` for the next step."""
        if self.prediction is None:
            self.prediction = prediction.new_zeros((self.num_slots, *prediction.shape[1:]))
        previous = self.prediction[active].masked_fill(labels == IGNORE_INDEX, IGNORE_INDEX)
        self.prediction[active] = prediction
        return token_exact_match(prediction, previous) & (self.steps[active] > 1)

    def empty(self, slots: torch.Tensor) -> None:
        """Mark `slots` as holding no example (the epoch ran out of examples)."""
        self.example_index[slots] = -1
        self.halted[slots] = True

    def state_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "carry": None if self.carry is None else dict(self.carry),
            "example_index": self.example_index,
            "steps": self.steps,
            "min_steps": self.min_steps,
            "halted": self.halted,
            "prediction": self.prediction,
        }

    def load_state_dict(self, state: Mapping[str, Any], carry_type: type) -> None:
        self.inputs = dict(state["inputs"])
        self.carry = None if state["carry"] is None else carry_type(**state["carry"])
        for name in ("example_index", "steps", "min_steps", "halted"):
            setattr(self, name, state[name])
        self.prediction = state.get("prediction")
