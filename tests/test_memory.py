"""`training_memory`, the measured step memory and the command line: what training a puzzle model needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeling_trm import TRMForPuzzles, TRMPuzzleConfig
from training.memory import (
    HEADROOM,
    StepMemory,
    gpu_budget,
    main,
    measure_step_memory,
    split_batch,
    step_bytes,
    training_memory,
)

ARC_AGI_1 = Path(__file__).resolve().parents[1] / "training" / "configs" / "arc_agi_1.yaml"


def tiny_model(**kwargs: int) -> TRMForPuzzles:
    """A two-layer attention model over 16 cells (20 positions with the puzzle embedding)."""
    sizes = {"hidden_size": 16, "num_heads": 2, "num_layers": 2, "H_cycles": 2, "L_cycles": 2, **kwargs}
    return TRMForPuzzles(
        TRMPuzzleConfig(seq_len=16, vocab_size=6, num_puzzle_identifiers=3, puzzle_emb_len=4, **sizes)
    )


def test_puzzle_table_takes_one_hidden_vector_per_puzzle_and_no_ema_or_adam_state() -> None:
    config = TRMPuzzleConfig(seq_len=4, vocab_size=6, num_puzzle_identifiers=7, hidden_size=8, num_heads=2)
    model = TRMForPuzzles(config)
    memory = training_memory(model)
    table = 7 * 8 * 4  # fp32, whatever puzzle_emb_len (16 here)
    network = sum(p.numel() for p in model.parameters()) * 4 - table
    assert memory == {
        "parameters": network + table,
        "puzzle_embedding": table,
        "gradients": network + table,
        "ema": network,
        "optimizer": 2 * network,
        "total": 5 * network + 2 * table,
    }
    assert training_memory(model, ema=False)["ema"] == 0


def test_step_memory_grows_linearly_with_the_batch() -> None:
    model = tiny_model()
    one, two, three, four = (step_bytes(model, batch, bf16=False)[0] for batch in (1, 2, 3, 4))
    assert two == pytest.approx(2 * one, rel=0.05)
    # One example keeps a view where more keep a copy; from two on, every example adds the same.
    assert four - three == three - two
    step = measure_step_memory(model, bf16=False)
    assert step.fixed + 4 * step.per_example == four
    assert step.carry_per_slot == 2 * (4 + 16) * 16 * 4  # y and z in fp32


def test_only_the_last_cycle_keeps_activations() -> None:
    per_example = {
        cycles: measure_step_memory(
            tiny_model(H_cycles=cycles[0], L_cycles=cycles[1]), bf16=False
        ).per_example
        for cycles in ((2, 1), (2, 2), (3, 2))
    }
    assert per_example[(2, 2)] > per_example[(2, 1)]  # one more latent update with gradient
    assert per_example[(3, 2)] == per_example[(2, 2)]  # one more cycle without gradient


def test_bf16_keeps_fewer_bytes_per_example_than_fp32() -> None:
    model = tiny_model()
    bf16, fp32 = (measure_step_memory(model, bf16=bf16) for bf16 in (True, False))
    assert bf16.per_example < fp32.per_example
    assert bf16.fixed > fp32.fixed  # the bf16 copies of the weights
    assert bf16.carry_per_slot == fp32.carry_per_slot  # the carry stays fp32


def test_fit_arithmetic() -> None:
    step = StepMemory(fixed=100, per_example=10, carry_per_slot=1)
    assert step.at(8, 2) == 100 + 8 * 10 + 16 * 1
    assert step.largest_batch(196, 2) == 8
    assert step.largest_batch(195, 2) == 7
    assert step.largest_batch(99) == 0
    # 48 examples: 48 x 1 needs 628 bytes, 24 x 2 needs 388, 16 x 3 needs 308.
    assert split_batch(step, 628, 48) == (48, 1)
    assert split_batch(step, 350, 48) == (16, 3)
    assert split_batch(step, 100, 48) is None
    assert gpu_budget(80) == int((1 - HEADROOM) * 80 * 2**30)


def mib(line: str) -> float:
    return float(line.split()[0].replace(",", ""))


def test_memory_command_sizes_the_arc_agi_1_model(capsys: pytest.CaptureFixture) -> None:
    # A 4-cell grid keeps the measured step quick; the persistent memory does not depend on it.
    arguments = ["--config", str(ARC_AGI_1), "--num_puzzle_identifiers", "959960", "--seq_len", "4"]
    with pytest.raises(ValueError, match="--vocab_size"):  # the dataset is not built here
        main(arguments)
    main([*arguments, "--vocab_size", "12", "--activation_dtype", "fp32"])
    lines = dict(line.split(maxsplit=1) for line in capsys.readouterr().out.splitlines()[1:])
    assert lines["puzzle_embedding"] == f"{959960 * 512 * 4 / 2**20:,.1f} MiB"
    assert set(lines) == {
        *("parameters", "puzzle_embedding", "gradients", "ema", "optimizer", "total"),
        *("step_fixed", "per_example", "carry_per_slot", "step_total", "training_total", "gpu_budget"),
        *("fits", "largest_batch", "split"),
    }
    assert "in fp32" in lines["step_fixed"]
    assert "768 examples x 1 accumulation steps" in lines["step_total"]
    assert mib(lines["training_total"]) == pytest.approx(
        mib(lines["total"]) + mib(lines["step_total"]), abs=0.2
    )
    assert mib(lines["gpu_budget"]) == 0.9 * 80 * 1024
    assert (lines["fits"], lines["split"].split(" (")[0]) == ("yes", "768 x 1")
    assert int(lines["largest_batch"].split()[0].replace(",", "")) > 768

    main([*arguments, "--vocab_size", "12", "--gpu_memory_gib", "1"])  # less than the puzzle table
    lines = dict(line.split(maxsplit=1) for line in capsys.readouterr().out.splitlines()[1:])
    assert "in bf16" in lines["step_fixed"]  # the config's bf16_auto
    assert (lines["fits"], lines["largest_batch"], lines["split"].split(" (")[0]) == (
        "no",
        "0 per device",
        "none",
    )
