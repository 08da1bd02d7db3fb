"""Behaviour of TRMPuzzleConfig and TRMForPuzzles: shapes, gradients, halting, saving, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from transformers import AutoConfig, AutoModel

from modeling_trm import TRMCarry, TRMForPuzzles, TRMPuzzleConfig
from modeling_trm.modeling_trm import stablemax_cross_entropy

TINY = dict(
    seq_len=16,
    vocab_size=6,
    num_puzzle_identifiers=5,
    puzzle_emb_len=2,
    hidden_size=32,
    num_heads=4,
    num_layers=2,
    H_cycles=3,
    L_cycles=2,
    halt_max_steps=5,
)


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


@pytest.mark.parametrize("mixer", ["attention", "mlp"])
def test_output_shapes_for_both_mixers(mixer: str) -> None:
    model = tiny_model(mixer=mixer)
    input_ids, puzzle_identifiers, labels = tiny_batch(batch=3)
    out = model(input_ids, puzzle_identifiers, labels)
    assert out.logits.shape == (3, TINY["seq_len"], TINY["vocab_size"])
    assert out.q_halt_logits.shape == (3,) and out.q_halt_logits.dtype == torch.float32
    sequence = TINY["puzzle_emb_len"] + TINY["seq_len"]
    assert isinstance(out.carry, TRMCarry) and out.carry.y.shape == (3, sequence, TINY["hidden_size"])
    assert out.carry.y.grad_fn is None and out.loss.ndim == 0
    assert model(input_ids, puzzle_identifiers).loss is None


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


def test_gradient_flows_only_through_the_last_cycle() -> None:
    model = tiny_model()
    input_ids, puzzle_identifiers, labels = tiny_batch()
    model(input_ids, puzzle_identifiers, labels).loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}

    def unrolled_loss(detach_before_last: bool) -> torch.Tensor:
        model.zero_grad()
        x, rotary, mask = model.embed(input_ids, puzzle_identifiers, None)
        state = model.recursion.initial_state(x)
        y, z = state.y, state.z
        for cycle in range(model.config.H_cycles):
            if cycle == model.config.H_cycles - 1 and detach_before_last:
                y, z = y.detach(), z.detach()
            for _ in range(model.config.L_cycles):
                z = model.recursion.net(z + y + x, rotary, mask)
            y = model.recursion.net(y + z, rotary, mask)
        logits = model.lm_head(y[:, TINY["puzzle_emb_len"] :])
        q_halt = model.recursion.q_head(y[:, 0]).squeeze(-1)
        valid = labels != -100
        lm_loss = (stablemax_cross_entropy(logits, labels).sum(-1) / valid.sum(-1)).mean()
        solved = ((logits.argmax(-1) == labels) | ~valid).all(-1).float()
        return lm_loss + 0.5 * F.binary_cross_entropy_with_logits(q_halt, solved)

    unrolled_loss(detach_before_last=True).backward()
    for name, p in model.named_parameters():
        if name in grads:
            torch.testing.assert_close(p.grad, grads[name], rtol=1e-5, atol=1e-6, msg=name)
    # The check can tell: tracking every cycle gives other gradients.
    unrolled_loss(detach_before_last=False).backward()
    block_weight = "recursion.layers.0.mlp.down_proj.weight"
    assert not torch.allclose(dict(model.named_parameters())[block_weight].grad, grads[block_weight])


def test_only_the_batch_puzzle_rows_get_gradient() -> None:
    model = tiny_model()
    input_ids, _, labels = tiny_batch(batch=3)
    model(input_ids, torch.tensor([1, 3, 3]), labels).loss.backward()
    touched = model.puzzle_emb.weight.grad.abs().sum(-1) > 0
    assert touched.tolist() == [False, True, False, True, False]
    assert model.puzzle_embedding_parameters() == [model.puzzle_emb.weight]


@pytest.mark.parametrize("mixer", ["attention", "mlp"])
def test_reload_gives_identical_logits(tmp_path: Path, mixer: str) -> None:
    model = tiny_model(mixer=mixer).eval()
    input_ids, puzzle_identifiers, _ = tiny_batch()
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == "trm_puzzle"
    assert config["auto_map"]["AutoModel"] == "modeling_trm.TRMForPuzzles"
    assert {"modeling_trm.py", "configuration_trm.py"} <= {p.name for p in tmp_path.iterdir()}
    reloaded = AutoModel.from_pretrained(tmp_path).eval()
    assert type(reloaded) is TRMForPuzzles
    assert type(AutoConfig.from_pretrained(tmp_path)) is TRMPuzzleConfig
    with torch.no_grad():
        torch.testing.assert_close(
            reloaded(input_ids, puzzle_identifiers).logits,
            model(input_ids, puzzle_identifiers).logits,
            rtol=0,
            atol=0,
        )


def test_generate_halts_per_sequence_and_drops_halted_rows() -> None:
    model = tiny_model().eval()
    input_ids, puzzle_identifiers, _ = tiny_batch(batch=16)
    puzzle_identifiers = torch.arange(16) % TINY["num_puzzle_identifiers"]
    with torch.no_grad():  # a halting head that halts about half the grids after the first step
        model.recursion.q_head.weight.normal_(0, 1.0)
        model.recursion.q_head.bias.zero_()
        first_step = model(input_ids, puzzle_identifiers).q_halt_logits
        model.recursion.q_head.bias.fill_(-first_step.median().item())
    rows_seen = []
    model.recursion.layers[0].register_forward_pre_hook(
        lambda module, args: rows_seen.append(args[0].shape[0])
    )
    full = model.generate(
        input_ids,
        puzzle_identifiers,
        use_act=False,
        return_dict_in_generate=True,
        output_step_predictions=True,
    )
    full_rows = sum(rows_seen)
    rows_seen.clear()
    act = model.generate(input_ids, puzzle_identifiers, return_dict_in_generate=True)
    per_step = TINY["H_cycles"] * (TINY["L_cycles"] + 1)

    assert torch.all(full.num_steps == TINY["halt_max_steps"])
    assert len(set(act.num_steps.tolist())) > 1, "grids should halt at different steps"
    assert sum(rows_seen) == int(act.num_steps.sum()) * per_step < full_rows
    rows = torch.arange(16)
    torch.testing.assert_close(act.sequences, full.step_predictions[act.num_steps - 1, rows])
    assert full.step_predictions.shape == (TINY["halt_max_steps"], 16, TINY["seq_len"])


def test_halting_head_starts_by_never_halting() -> None:
    model = tiny_model()
    input_ids, puzzle_identifiers, _ = tiny_batch()
    out = model.generate(input_ids, puzzle_identifiers, return_dict_in_generate=True)
    assert torch.all(out.num_steps == TINY["halt_max_steps"])


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


def test_saved_folder_loads_with_remote_code_in_a_process_without_the_package(tmp_path: Path) -> None:
    model = tiny_model().eval()
    input_ids, puzzle_identifiers, _ = tiny_batch()
    model.save_pretrained(tmp_path / "model")
    with torch.no_grad():
        expected = model.generate(input_ids, puzzle_identifiers)
    torch.save({"input_ids": input_ids, "ids": puzzle_identifiers, "expected": expected}, tmp_path / "io.pt")
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("modeling_trm", "training", "tokenization", "hub_cards"):
                    raise ImportError(f"{{name}} is blocked: the saved folder must be self-contained")
        sys.meta_path.insert(0, Block())
        import torch
        from transformers import AutoModel
        model = AutoModel.from_pretrained({str(tmp_path / "model")!r}, trust_remote_code=True).eval()
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        io = torch.load({str(tmp_path / "io.pt")!r})
        assert torch.equal(model.generate(io["input_ids"], io["ids"]), io["expected"])
        print("OK", type(model).__name__)
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "modules")}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK TRMForPuzzles" in result.stdout
