"""`accelerate launch` with two CPU processes: the same `training/train.py` runs data-parallel (gloo),
each process keeps its own slots, the replicas stay identical when an epoch runs dry inside an
optimizer step, and the saved model loads."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModel

import modeling_trm  # noqa: F401  (registers the TRM Auto classes)

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "training" / "configs" / "tiny.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_command() -> list[str]:
    """`accelerate launch` of two CPU processes (gloo); the script and its arguments follow."""
    accelerate = [sys.executable, "-m", "accelerate.commands.launch"]
    # `--cpu --num_processes 2` would start one process; `--multi_gpu` with ACCELERATE_USE_CPU starts two.
    accelerate += ["--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no"]
    return accelerate + ["--num_cpu_threads_per_process", "1", "--main_process_port", str(free_port())]


def run_launch(command: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    """Run `command` in the repository; returns its exit status and output. On timeout the launcher and
    the processes it started are killed (a hung rank would otherwise outlive the test)."""
    with subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    ) as process:  # fmt: skip
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            pytest.fail(f"the launch did not finish in {timeout} s:\n{output[-3000:]}")
    return process.returncode, output


def test_two_process_cpu_launch_trains_and_saves(tmp_path: Path) -> None:
    accelerate = launch_command()
    script = ["training/train.py", "--config", str(TINY), "--output_dir", str(tmp_path)]
    script += ["--max_steps", "20", "--logging_steps", "10", "--do_eval", "false"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ACCELERATE_USE_CPU": "1"}
    returncode, output = run_launch([*accelerate, *script], env, timeout=600)
    assert returncode == 0, output[-6000:]
    ranks = set(re.findall(r"Process rank: (\d), world size: 2", output))
    assert ranks == {"0", "1"}
    state = json.loads((tmp_path / "trainer_state.json").read_text())
    assert state["global_step"] == 20
    assert any("exact_accuracy" in entry for entry in state["log_history"])
    model = AutoModel.from_pretrained(tmp_path)
    assert model.config.hidden_size == 64


# Each rank saves its final weights, so the test can compare the replicas.
SAVE_WEIGHTS_PER_RANK = """
import torch
from transformers import TrainerCallback

from training import train


class SaveWeightsPerRank(TrainerCallback):
    def on_train_end(self, args, state, control, model=None, **kwargs):
        torch.save(model.state_dict(), f"{args.output_dir}/weights_rank{args.process_index}.pt")


class Trainer(train.TRMTrainer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_callback(SaveWeightsPerRank())


train.TRMTrainer = Trainer
train.main()
"""


@pytest.mark.parametrize("num_examples", [48, 49], ids=["all-ranks-run-dry", "one-rank-runs-dry"])
def test_ranks_keep_identical_weights_when_a_sub_pool_runs_dry(tmp_path: Path, num_examples: int) -> None:
    # Each rank streams half the examples through 2 sub-pools of 8 slots; every slot runs all 4
    # supervision steps (the halting head starts by never halting), so at step 5 the second sub-pool
    # gets what is left of the epoch: with 48 examples nothing on either rank, with 49 one example on
    # rank 0 and nothing on rank 1. A rank whose sub-pool is empty must still run the DDP-wrapped
    # model, or that micro-step's gradient all-reduce is skipped: both ranks step on their own
    # gradients (48), or one waits for the other forever (49).
    script = tmp_path / "train_saving_weights.py"
    script.write_text(SAVE_WEIGHTS_PER_RANK)
    run = tmp_path / "run"
    arguments = ["--config", str(TINY), "--output_dir", str(run), "--max_steps", "8", "--logging_steps", "8"]
    arguments += ["--num_train_examples", str(num_examples), "--num_eval_examples", "8", "--do_eval", "false"]
    arguments += ["--per_device_train_batch_size", "8", "--gradient_accumulation_steps", "2"]
    arguments += ["--supervision_warmup_steps", "0"]  # every slot runs all 4 steps from the start
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ACCELERATE_USE_CPU": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    returncode, output = run_launch([*launch_command(), str(script), *arguments], env, timeout=120)
    assert returncode == 0, output[-6000:]
    state = json.loads((run / "trainer_state.json").read_text())
    assert state["global_step"] == 8 and state["log_history"][0]["data_epoch"] == 1
    rank0 = torch.load(run / "weights_rank0.pt")
    rank1 = torch.load(run / "weights_rank1.pt")
    for name, weight in rank0.items():
        assert torch.equal(weight, rank1[name]), name
