"""Length-grouped feeding: the grouped order of the stream, and cutting the question padding no slot uses."""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import datasets
import pytest
import torch
from tiny_models import TINY_MATH_CONFIG
from transformers import TrainingArguments

from modeling_trm import TRMConfig, TRMForMathQA
from training.data.collator import MathCollator
from training.slots import ExampleStream
from training.trainer import TRMTrainer

REPO = Path(__file__).resolve().parents[1]
_rng = random.Random(0)
LENGTHS = [_rng.randint(1, 60) for _ in range(400)]


def batch_spreads(stream: ExampleStream, batch_size: int) -> list[int]:
    """Longest minus shortest length in each run of `batch_size` examples taken from `stream`."""
    spreads = []
    while not stream.exhausted:
        lengths = [LENGTHS[i] for i in stream.take(batch_size)]
        spreads.append(max(lengths) - min(lengths))
    return spreads


def test_grouped_stream_takes_every_example_once_and_alike_in_length() -> None:
    taken = []
    for rank in range(2):
        stream = ExampleStream(
            len(LENGTHS), seed=0, process_index=rank, num_processes=2, lengths=LENGTHS, batch_size=8
        )
        while not stream.exhausted:
            taken += stream.take(8)
    assert sorted(taken) == list(range(len(LENGTHS)))

    grouped = batch_spreads(ExampleStream(len(LENGTHS), seed=0, lengths=LENGTHS, batch_size=8), 8)
    shuffled = batch_spreads(ExampleStream(len(LENGTHS), seed=0), 8)
    assert sum(grouped) / len(grouped) < 0.25 * sum(shuffled) / len(shuffled)
    with pytest.raises(ValueError, match="399 lengths for 400 examples"):
        ExampleStream(len(LENGTHS), seed=0, lengths=LENGTHS[:-1])


def test_cutting_question_padding_changes_no_output() -> None:
    torch.manual_seed(0)
    model = TRMForMathQA(TRMConfig(**TINY_MATH_CONFIG)).eval()
    width = TINY_MATH_CONFIG["max_question_length"]
    lengths = [3, 7, 5]
    input_ids = torch.zeros(len(lengths), width, dtype=torch.long)
    attention_mask = torch.zeros_like(input_ids)
    for row, length in enumerate(lengths):
        input_ids[row, :length] = torch.randint(3, TINY_MATH_CONFIG["vocab_size"], (length,))
        attention_mask[row, :length] = 1
    labels = torch.randint(
        3, TINY_MATH_CONFIG["vocab_size"], (len(lengths), TINY_MATH_CONFIG["answer_length"])
    )
    batch = {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
    with torch.no_grad():
        carry = model(**batch).carry  # a carry after one step, at full width
        full = model(**batch, carry=carry)
        cut_batch, cut_carry = TRMTrainer._trim_question_padding(batch, carry, model.config)
        cut = model(**cut_batch, carry=cut_carry)
    assert cut_batch["input_ids"].shape == (3, 7) and torch.equal(cut_batch["labels"], labels)
    kept = cut.carry.y.shape[1]
    assert kept == carry.y.shape[1] - (width - 7)
    torch.testing.assert_close(cut.logits, full.logits)
    torch.testing.assert_close(cut.q_halt_logits, full.q_halt_logits)
    torch.testing.assert_close(cut.carry.z, full.carry.z[:, :kept])
    torch.testing.assert_close(cut.carry.y, full.carry.y[:, :kept])

    mlp = TRMConfig(**{**TINY_MATH_CONFIG, "mixer": "mlp"})
    assert TRMTrainer._trim_question_padding(batch, carry, mlp)[0]["input_ids"].shape[1] == width


def varied_sums() -> datasets.Dataset:
    """Sums of 1..6 digits `[a, +, b, +, ...]` whose answers are the sum's last digit (ids offset by 4)."""
    rng = random.Random(0)
    rows = []
    for _ in range(48):
        digits = [rng.randint(0, 9) for _ in range(rng.randint(1, 6))]
        question = [token for d in digits for token in (4 + d, 3)][:-1]
        rows.append({"input_ids": question, "labels": [4 + sum(digits) % 10, 2]})
    return datasets.Dataset.from_list(rows)


class _PadOnly:
    pad_token_id = 0


def make_trainer(output_dir: Path, strategy: str) -> TRMTrainer:
    torch.manual_seed(0)
    config = TRMConfig(
        vocab_size=16, hidden_size=32, num_heads=4, H_cycles=1, L_cycles=2, halt_max_steps=3,
        max_question_length=11, answer_length=3,
    )  # fmt: skip
    args = TrainingArguments(
        output_dir=str(output_dir), max_steps=40, per_device_train_batch_size=4, learning_rate=3e-3,
        report_to=[], use_cpu=True, disable_tqdm=True, seed=0, save_strategy="no",
        train_sampling_strategy=strategy,
    )  # fmt: skip
    collator = MathCollator(_PadOnly(), answer_length=3, max_question_length=11, min_width=11)
    return TRMTrainer(
        model=TRMForMathQA(config), args=args, train_dataset=varied_sums(), data_collator=collator
    )


def test_group_by_length_training_feeds_every_example_and_cuts_the_padding(tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, "group_by_length")
    widths, taken = [], defaultdict(list)
    trim, take = trainer._trim_question_padding, trainer.stream.take

    def recording_trim(batch, carry, config):
        batch, carry = trim(batch, carry, config)
        widths.append(batch["input_ids"].shape[1])
        return batch, carry

    def recording_take(count: int) -> list[int]:
        indices = take(count)
        taken[trainer.stream.epoch].extend(indices)
        return indices

    trainer._trim_question_padding, trainer.stream.take = recording_trim, recording_take
    trainer.train()
    assert trainer.stream.epoch >= 1 and sorted(taken[0]) == list(range(48))
    assert min(widths) < 11 and max(widths) == 11
    assert torch.isfinite(torch.tensor(trainer.state.log_history[-1]["train_loss"]))


def test_other_sampling_strategies_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'random' or 'group_by_length', got 'sequential'"):
        make_trainer(tmp_path, "sequential")


def test_gain_script_times_every_contestant_in_one_run(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "examples"))
    import length_grouping_gain

    report_path = tmp_path / "gain.json"
    length_grouping_gain.main(
        ["--config", str(REPO / "training/configs/word_problems_cpu.yaml"), "--steps", "3", "--repeats", "1",
         "--json", str(report_path), "--num_train_examples", "64", "--num_eval_examples", "8",
         "--hidden_size", "16", "--num_heads", "2", "--per_device_train_batch_size", "4"]
    )  # fmt: skip
    report = json.loads(report_path.read_text())
    assert set(report["runs"]) == {"full_width", "random_cut", "grouped_cut"}
    assert report["speedup_vs_full_width"]["full_width"] == 1.0
    widths = report["epoch_mean_width"]
    assert widths["group_by_length"] < widths["random"] <= report["padded_width"]
    assert report["runs"]["full_width"][0]["mean_width"] == report["padded_width"]
    for name in ("random_cut", "grouped_cut"):
        run = report["runs"][name][0]
        assert run["steps_per_second"] > 0 and run["mean_width"] <= report["padded_width"]
