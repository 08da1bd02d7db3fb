"""Behaviour of TRMPuzzleConfig and TRMForPuzzles of their own: the puzzle embedding, the grid, the
attention mask, validation. What both heads share is in `test_model_heads.py`."""

from __future__ import annotations

import pytest
import torch
from tiny_models import TINY_PUZZLE_CONFIG as TINY

from modeling_trm import TRMForPuzzles, TRMPuzzleConfig


def tiny_model(**overrides) -> TRMForPuzzles:
    torch.manual_seed(0)
    model = TRMForPuzzles(TRMPuzzleConfig(**{**TINY, **overrides}))
    with torch.no_grad():  # a trained-looking table, so the puzzle positions matter
        if model.puzzle_emb is not None:
            model.puzzle_emb.weight.normal_()
    return model


def tiny_batch(batch: int = 4) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    input_ids = torch.randint(1, TINY["vocab_size"], (batch, TINY["seq_len"]), generator=generator)
    labels = torch.randint(2, TINY["vocab_size"], (batch, TINY["seq_len"]), generator=generator)
    labels[:, :3] = -100
    puzzle_identifiers = torch.arange(batch) % TINY["num_puzzle_identifiers"]
    return input_ids, puzzle_identifiers, labels


def test_state_covers_the_puzzle_positions_then_the_grid() -> None:
    model = tiny_model()
    input_ids, puzzle_identifiers, _ = tiny_batch(batch=3)
    carry = model(input_ids, puzzle_identifiers).carry
    sequence = TINY["puzzle_emb_len"] + TINY["seq_len"]
    assert carry.y.shape == carry.z.shape == (3, sequence, TINY["hidden_size"])


def test_sequence_mlp_mixes_the_puzzle_positions_and_the_grid() -> None:
    model = tiny_model(mixer="mlp")
    sequence = TINY["puzzle_emb_len"] + TINY["seq_len"]
    assert model.recursion.layers[0].mixer.mlp.down_proj.out_features == sequence


def test_puzzle_embedding_changes_the_prediction_and_starts_at_zero() -> None:
    assert torch.count_nonzero(TRMForPuzzles(TRMPuzzleConfig(**TINY)).puzzle_emb.weight) == 0
    model = tiny_model()
    input_ids, _, _ = tiny_batch(batch=2)
    with torch.no_grad():
        a = model(input_ids, torch.tensor([1, 1])).logits
        b = model(input_ids, torch.tensor([2, 2])).logits
        blank = model(input_ids).logits
        zero = model(input_ids, torch.tensor([0, 0])).logits
    assert not torch.allclose(a, b)
    torch.testing.assert_close(blank, zero, rtol=0, atol=0)


def test_puzzle_embedding_is_one_hidden_vector_per_puzzle_then_zero_positions() -> None:
    # The reference learns hidden_size numbers per puzzle (puzzle_emb_ndim = hidden_size) and zero-pads
    # them to puzzle_emb_len positions; a puzzle_emb_len * hidden_size table learned 16x as many.
    model = tiny_model(puzzle_emb_len=3)
    assert model.puzzle_emb.weight.shape == (TINY["num_puzzle_identifiers"], TINY["hidden_size"])
    input_ids, puzzle_identifiers, _ = tiny_batch(batch=3)
    x, _, _ = model.embed(input_ids, puzzle_identifiers, None)
    assert x.shape == (3, 3 + TINY["seq_len"], TINY["hidden_size"])
    torch.testing.assert_close(x[:, 0], model.embed_scale * model.puzzle_emb.weight[puzzle_identifiers])
    assert torch.count_nonzero(x[:, 1:3]) == 0


def test_attention_mask_hides_masked_cells_from_the_others() -> None:
    model = tiny_model(mixer="attention").eval()
    input_ids, puzzle_identifiers, _ = tiny_batch(batch=2)
    mask = torch.ones_like(input_ids)
    mask[:, -4:] = 0
    changed = input_ids.clone()
    changed[:, -4:] = (changed[:, -4:] % (TINY["vocab_size"] - 1)) + 1
    with torch.no_grad():
        torch.testing.assert_close(
            model(input_ids, puzzle_identifiers, attention_mask=torch.ones_like(input_ids)).logits,
            model(input_ids, puzzle_identifiers).logits,
        )
        # Masked cells still get their own predictions, but cannot change the other cells'.
        kept = model(input_ids, puzzle_identifiers, attention_mask=mask).logits[:, :-4]
        other = model(changed, puzzle_identifiers, attention_mask=mask).logits[:, :-4]
    torch.testing.assert_close(kept, other)


def test_model_without_puzzle_embedding_reads_the_grid_only() -> None:
    model = tiny_model(puzzle_emb_len=0)
    input_ids, _, labels = tiny_batch()
    assert model.puzzle_emb is None and model.puzzle_embedding_parameters() == []
    out = model(input_ids, labels=labels)
    assert out.carry.y.shape[1] == TINY["seq_len"]


def test_only_the_batch_puzzle_rows_get_gradient() -> None:
    model = tiny_model()
    input_ids, _, labels = tiny_batch(batch=3)
    model(input_ids, torch.tensor([1, 3, 3]), labels).loss.backward()
    touched = model.puzzle_emb.weight.grad.abs().sum(-1) > 0
    assert touched.tolist() == [False, True, False, True, False]
    assert model.puzzle_embedding_parameters() == [model.puzzle_emb.weight]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq_len", 0),
        ("num_puzzle_identifiers", 0),
        ("puzzle_emb_len", -1),
        ("puzzle_emb_len", 1.5),
        ("puzzle_emb_lr", -1.0),
        ("mixer", "conv"),
    ],
)
def test_config_rejects_bad_values_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        TRMPuzzleConfig(**{**TINY, field: value})


def test_bad_input_is_a_clear_error() -> None:
    model = tiny_model()
    input_ids, puzzle_identifiers, labels = tiny_batch()
    with pytest.raises(ValueError, match="seq_len=16"):
        model(input_ids[:, :-1])
    with pytest.raises(ValueError, match="vocab_size"):
        model(torch.full_like(input_ids, TINY["vocab_size"]))
    with pytest.raises(ValueError, match="vocab_size"):
        model.generate(-input_ids)
    with pytest.raises(ValueError, match="num_puzzle_identifiers"):
        model(input_ids, puzzle_identifiers + TINY["num_puzzle_identifiers"])
    with pytest.raises(ValueError, match="labels"):
        model(input_ids, puzzle_identifiers, labels[:, :-1])
