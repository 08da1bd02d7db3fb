"""`training_memory` and its command line: what training keeps for a model besides activations."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeling_trm import TRMForPuzzles, TRMPuzzleConfig
from training.memory import main, training_memory

ARC_AGI_1 = Path(__file__).resolve().parents[1] / "training" / "configs" / "arc_agi_1.yaml"


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


def test_memory_command_sizes_the_arc_agi_1_model(capsys: pytest.CaptureFixture) -> None:
    arguments = ["--config", str(ARC_AGI_1), "--num_puzzle_identifiers", "959960", "--seq_len", "900"]
    with pytest.raises(ValueError, match="--vocab_size"):  # the dataset is not built here
        main(arguments)
    main([*arguments, "--vocab_size", "12"])
    lines = dict(line.split(maxsplit=1) for line in capsys.readouterr().out.splitlines()[1:])
    assert lines["puzzle_embedding"] == f"{959960 * 512 * 4 / 2**20:,.1f} MiB"
    assert set(lines) == {"parameters", "puzzle_embedding", "gradients", "ema", "optimizer", "total"}
