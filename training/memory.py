"""Memory that training a puzzle model needs on one device: what it holds whatever the batch (weights,
gradients, EMA, optimizer) and what one supervision step adds per example (activations, carry).

    python -m training.memory --config training/configs/arc_agi_1.yaml
    python -m training.memory --config training/configs/arc_agi_1.yaml \\
        --num_puzzle_identifiers 959960 --seq_len 900 --vocab_size 12 --gpu_memory_gib 80

The model comes from the puzzle training config as `training/train_puzzles.py` would build it, sized
by the dataset's `metadata.json`; without a built dataset, give its grid length, vocabulary and number
of puzzle identifiers (ARC-AGI-1 with 1,000 augmentations: 959 tasks of 1,001 versions at most, plus
the blank identifier). The persistent memory is counted on a model built on the meta device, so
nothing is allocated for it.

The activations are measured: a copy of the model with one puzzle identifier (the table's size does not
change them) is built on the CPU and runs one training supervision step, as `TRMTrainer` does, on a
few random grids; hooks on the tensors autograd saves add up their storages. The step runs under
bf16 autocast when the config trains in bf16 (`bf16` or `bf16_auto`: a GPU with bf16 runs it so) or
`--activation_dtype bf16` says so; CPU autocast casts the same operations to bf16 as CUDA's here (the
matmuls and attention; the norms and losses are computed in fp32 either way). On a CPU without bf16
instructions, measuring a 512-wide model on 900 cells takes about two minutes in bf16 (fp32: under one).

Whether a config fits `--gpu_memory_gib` leaves `HEADROOM` of it for what is not counted: the CUDA
context, the allocator's fragmentation and the temporaries of the forward and backward passes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from modeling_trm import TRMForPuzzles, TRMPuzzleConfig
from training.arguments import (
    PuzzleDataArguments,
    PuzzleModelArguments,
    TRMTrainingArguments,
    parse_with_config,
)
from training.data.puzzles.common import METADATA_FILE, PuzzleMetadata
from training.ema import averaged_parameters

# Batches the step memory is measured at: one example can keep a view where more keep a copy (a slice
# of a one-example batch is contiguous), so the line through two larger batches is the exact one.
MEASURED_BATCHES = (2, 3)
HEADROOM = 0.1  # of the GPU's memory, for the CUDA context, allocator fragmentation and temporaries


def training_memory(model: nn.Module, ema: bool = True) -> dict[str, int]:
    """Bytes that `TRMTrainer` keeps for `model` besides activations.

    Every trainable parameter has a dense gradient of its size, the per-puzzle embedding included (an
    ordinary parameter here); the EMA copies the parameters it averages (all but the puzzle
    embedding); AdamW keeps two moments of every parameter but the puzzle embedding, which sign-SGD
    trains without state. While a checkpoint is saved or the model evaluated, the EMA callback holds
    one more copy of the averaged parameters (not counted).

    Args:
        model (`nn.Module`): The model; its `puzzle_embedding_parameters()`, when it has them, name the
            puzzle embedding.
        ema (`bool`, *optional*, defaults to `True`): Whether training keeps an EMA of the weights.

    Returns:
        `dict[str, int]`: bytes of `parameters` (all trainable ones), `puzzle_embedding` (the part of
        them that is the per-puzzle table), `gradients`, `ema`, `optimizer` and their `total`
        (parameters, gradients, EMA and optimizer state).
    """
    trainable = [p for p in model.parameters() if p.requires_grad]
    get_sparse = getattr(model, "puzzle_embedding_parameters", None)
    sparse = get_sparse() if get_sparse is not None else []
    sparse_ids = {id(p) for p in sparse}

    def size(parameters: Iterable[torch.Tensor]) -> int:
        return sum(p.numel() * p.element_size() for p in parameters)

    memory = {
        "parameters": size(trainable),
        "puzzle_embedding": size(sparse),
        "gradients": size(trainable),
        "ema": size(averaged_parameters(model).values()) if ema else 0,
        "optimizer": 2 * size(p for p in trainable if id(p) not in sparse_ids),
    }
    memory["total"] = memory["parameters"] + memory["gradients"] + memory["ema"] + memory["optimizer"]
    return memory


def step_bytes(model: TRMForPuzzles, batch_size: int, bf16: bool) -> tuple[int, int]:
    """Bytes one training supervision step of `batch_size` random grids holds when its forward returns.

    The step is `TRMTrainer`'s: the model's `forward` with labels and a carry of fresh states, T-1
    cycles without gradient and one with. Every storage autograd saves for the backward counts once
    (views share their storage), and so do the step's input carry and outputs (logits, losses, new
    carry); the model's own parameters and buffers do not (`training_memory` counts them), bf16
    copies of them do.

    Args:
        model (`TRMForPuzzles`): The model, on the CPU.
        batch_size (`int`): Grids in the step.
        bf16 (`bool`): Run the step under bf16 autocast, as a bf16 training run does.

    Returns:
        `tuple[int, int]`: bytes the step holds, and bytes of its carry (`TRMTrainer` keeps one in its
        slots between steps).
    """
    config = model.config
    own = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())}
    held: dict[int, int] = {}

    def hold(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in own:
            held[storage.data_ptr()] = storage.nbytes()
        return tensor

    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(config.vocab_size, (batch_size, config.seq_len), generator=generator)
    labels = torch.randint(config.vocab_size, (batch_size, config.seq_len), generator=generator)
    carry = None
    if not config.single_pass:  # as `TRMTrainer` fills its slots
        carry = model.reset_carry(model.initial_carry(input_ids), torch.ones(batch_size, dtype=torch.bool))
    with (
        torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16),
        torch.autograd.graph.saved_tensors_hooks(hold, lambda tensor: tensor),
    ):
        outputs = model(input_ids, labels=labels, carry=carry)
    states = [] if carry is None else [*carry.values(), *outputs.carry.values()]
    for tensor in [value for value in outputs.values() if torch.is_tensor(value)] + states:
        hold(tensor)
    return sum(held.values()), 0 if carry is None else sum(t.nbytes for t in carry.values())


@dataclass
class StepMemory:
    """Bytes of a training supervision step that depend on the batch.

    Args:
        fixed (`int`): Held whatever the batch (bf16 copies of the weights, RoPE tables).
        per_example (`int`): Held per example of the micro-batch: the activations autograd keeps for
            the backward and the step's outputs.
        carry_per_slot (`int`): The state `TRMTrainer` keeps per slot between steps; there are
            `per_device_train_batch_size` slots per gradient accumulation step.
    """

    fixed: int
    per_example: int
    carry_per_slot: int

    def at(self, batch_size: int, accumulation_steps: int = 1) -> int:
        """Bytes at a per-device batch of `batch_size` and `accumulation_steps` micro-steps per step."""
        return self.fixed + batch_size * (self.per_example + accumulation_steps * self.carry_per_slot)

    def largest_batch(self, budget: int, accumulation_steps: int = 1) -> int:
        """The largest per-device batch whose step memory fits in `budget` bytes (0 if none does)."""
        return max(0, (budget - self.fixed) // (self.per_example + accumulation_steps * self.carry_per_slot))


def measure_step_memory(model: TRMForPuzzles, bf16: bool) -> StepMemory:
    """`StepMemory` of `model` from `step_bytes` at the two `MEASURED_BATCHES` (it is linear in the batch).

    Args:
        model (`TRMForPuzzles`): The model, on the CPU.
        bf16 (`bool`): Measure under bf16 autocast.
    """
    (small, carry), (large, _) = (step_bytes(model, batch, bf16) for batch in MEASURED_BATCHES)
    per_example = (large - small) // (MEASURED_BATCHES[1] - MEASURED_BATCHES[0])
    return StepMemory(small - MEASURED_BATCHES[0] * per_example, per_example, carry // MEASURED_BATCHES[0])


def split_batch(step: StepMemory, budget: int, global_batch: int) -> tuple[int, int] | None:
    """The fewest gradient accumulation steps that keep `global_batch` examples per optimizer step and fit.

    Args:
        step (`StepMemory`): The step's memory.
        budget (`int`): Bytes left for the step.
        global_batch (`int`): Examples per optimizer step on this device.

    Returns:
        `tuple[int, int] | None`: `(per_device_batch, accumulation_steps)`, or `None` if no split fits.
    """
    for steps in range(1, global_batch + 1):
        if global_batch % steps == 0 and step.at(global_batch // steps, steps) <= budget:
            return global_batch // steps, steps
    return None


def gpu_budget(gpu_memory_gib: float) -> int:
    """Bytes of a GPU of `gpu_memory_gib` GiB that training may plan for: all but `HEADROOM` of them."""
    return int((1 - HEADROOM) * gpu_memory_gib * 2**30)


def print_mib(name: str, value: int, note: str = "") -> None:
    """Print one line of the report: `name`, `value` bytes in MiB and `note`."""
    print(f"{name:<17} {value / 2**20:12,.1f} MiB {note}".rstrip())


@dataclass
class GridArguments:
    """The dataset facts that size the model, for when its `metadata.json` is not built yet."""

    num_puzzle_identifiers: int | None = field(
        default=None, metadata={"help": "Rows of the puzzle embedding table (default: the dataset's)."}
    )
    seq_len: int | None = field(default=None, metadata={"help": "Cells per grid (default: the dataset's)."})
    vocab_size: int | None = field(default=None, metadata={"help": "Grid tokens (default: the dataset's)."})


@dataclass
class FitArguments:
    """How the activations are measured and the GPU they must fit."""

    activation_dtype: str | None = field(
        default=None,
        metadata={
            "choices": ["bf16", "fp32"],
            "help": "Autocast of the measured step (default: bf16 when the config sets `bf16` or "
            "`bf16_auto`, as on a GPU with bf16; else fp32).",
        },
    )
    gpu_memory_gib: float = field(default=80.0, metadata={"help": "Memory of one GPU, in GiB."})


def main(argv: list[str] | None = None) -> None:
    """Print the sizes of the model `argv` describes, `training_memory` of it and its step memory in
    MiB, and whether training it fits one GPU."""
    model_args, data_args, training_args, grid_args, fit_args = parse_with_config(
        (PuzzleModelArguments, PuzzleDataArguments, TRMTrainingArguments, GridArguments, FitArguments), argv
    )
    sizes = {name: getattr(grid_args, name) for name in ("num_puzzle_identifiers", "seq_len", "vocab_size")}
    if None in sizes.values():
        if not (Path(data_args.dataset_dir) / METADATA_FILE).exists():
            missing = ", ".join(f"--{name}" for name, value in sizes.items() if value is None)
            raise ValueError(
                f"{data_args.dataset_dir} holds no {METADATA_FILE}: build the dataset, or give {missing}."
            )
        metadata = PuzzleMetadata.load(data_args.dataset_dir)
        sizes = {name: getattr(metadata, name) if value is None else value for name, value in sizes.items()}
    with torch.device("meta"):
        model = TRMForPuzzles(TRMPuzzleConfig(**sizes, **model_args.config_kwargs()))
    memory = training_memory(model, ema=bool(training_args.ema_decay))
    print(", ".join(f"{name}={value:,}" for name, value in sizes.items()))
    for name, value in memory.items():
        print_mib(name, value)

    dtype = fit_args.activation_dtype or ("bf16" if training_args.bf16 or training_args.bf16_auto else "fp32")
    measured = TRMForPuzzles(
        TRMPuzzleConfig(**{**sizes, "num_puzzle_identifiers": 1}, **model_args.config_kwargs())
    )
    step = measure_step_memory(measured, bf16=dtype == "bf16")
    batch, steps = training_args.per_device_train_batch_size, training_args.gradient_accumulation_steps
    budget = gpu_budget(fit_args.gpu_memory_gib)
    needed = memory["total"] + step.at(batch, steps)
    split = split_batch(step, budget - memory["total"], batch * steps)
    print_mib("step_fixed", step.fixed, f"per supervision step in {dtype}, whatever the batch")
    print_mib("per_example", step.per_example, "activations autograd keeps, carry in and out, logits")
    print_mib("carry_per_slot", step.carry_per_slot, "the state kept between steps")
    print_mib("step_total", step.at(batch, steps), f"{batch:,} examples x {steps} accumulation steps")
    print_mib("training_total", needed, "total + step_total")
    headroom = (
        f"{fit_args.gpu_memory_gib:g} GiB less {HEADROOM:.0%} (CUDA context, fragmentation, temporaries)"
    )
    print_mib("gpu_budget", budget, headroom)
    print(f"{'fits':<17} {'yes' if needed <= budget else 'no'}")
    print(f"{'largest_batch':<17} {step.largest_batch(budget - memory['total'], steps):,} per device")
    print(
        f"{'split':<17} {f'{split[0]:,} x {split[1]}' if split else 'none'} (per-device batch x accumulation "
        f"steps) for {batch * steps:,} examples per optimizer step"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
