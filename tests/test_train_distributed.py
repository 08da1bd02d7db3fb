"""`accelerate launch` with two CPU processes: the same `training/train.py` runs data-parallel (gloo),
each process keeps its own slots, and the saved model loads."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from transformers import AutoModel

import modeling_trm  # noqa: F401  (registers the TRM Auto classes)

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "training" / "configs" / "tiny.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_process_cpu_launch_trains_and_saves(tmp_path: Path) -> None:
    accelerate = [sys.executable, "-m", "accelerate.commands.launch"]
    # `--cpu --num_processes 2` would start one process; `--multi_gpu` with ACCELERATE_USE_CPU starts two.
    accelerate += ["--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no"]
    accelerate += ["--num_cpu_threads_per_process", "1", "--main_process_port", str(free_port())]
    script = ["training/train.py", "--config", str(TINY), "--output_dir", str(tmp_path)]
    script += ["--max_steps", "20", "--logging_steps", "10", "--do_eval", "false"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ACCELERATE_USE_CPU": "1"}
    result = subprocess.run(
        [*accelerate, *script], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ranks = set(re.findall(r"Process rank: (\d), world size: 2", result.stdout + result.stderr))
    assert ranks == {"0", "1"}
    state = json.loads((tmp_path / "trainer_state.json").read_text())
    assert state["global_step"] == 20
    assert any("exact_accuracy" in entry for entry in state["log_history"])
    model = AutoModel.from_pretrained(tmp_path)
    assert model.config.hidden_size == 64
