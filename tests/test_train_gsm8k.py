"""The GSM8K recipe (`examples/train_gsm8k.py`) end to end at toy sizes: both stages, the evaluations
and the summary, with its GPU preset and the one-step TRM setting passed through to both stages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examples.train_gsm8k import run_recipe, summary

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TOY = [
    "--hidden_size", "32", "--num_heads", "2", "--max_steps", "2", "--per_device_train_batch_size", "4",
    "--per_device_eval_batch_size", "16", "--num_train_examples", "40", "--num_eval_examples", "8",
    "--max_eval_samples", "8", "--augment_variants", "0", "--halt_max_steps", "1", "--disable_tqdm", "true",
]  # fmt: skip


@pytest.mark.skipif(
    not (DATA / "gsm8k").is_dir() or not (DATA / "svamp").is_dir(), reason=f"no data in {DATA}"
)
def test_the_gpu_recipe_trains_both_stages_and_scores_every_split(tmp_path: Path) -> None:
    final = run_recipe(tmp_path, "gpu", single_pass=False, seed=0, extra=TOY, max_examples=8)

    assert final == tmp_path / "trm_seed0" / "gsm8k"
    for stage in ("curriculum", "gsm8k"):
        config = json.loads((final.parent / stage / "config.json").read_text())
        assert (config["hidden_size"], config["halt_max_steps"]) == (32, 1)
    assert json.loads((final / "training_info.json").read_text())["train_metrics"]["global_step"] == 2
    lines = summary(final).splitlines()
    names = [line.split()[0] for line in lines]
    assert names[:2] == ["gsm8k/test", "svamp/test"]
    assert {"word_problems/test", "word_problems/test_phrasings", "word_problems/test_kinds"} <= set(names)
    assert all("as written" in line and "with the calculator" in line for line in lines)
