"""Train the small TRM on the embedded generator (two-digit addition), then evaluate it (~2 CPU min).

    python examples/train_small.py [--output_dir runs/small]

The same as `python training/train.py --config training/configs/tiny.yaml` followed by
`python -m training.evaluate_model`, written out as the calls a user would make from Python.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from training.train import main as train

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default=str(REPO / "training" / "configs" / "tiny.yaml"))
    parser.add_argument("--output_dir", default="runs/small")
    args = parser.parse_args()
    train(["--config", args.config, "--output_dir", args.output_dir])
    subprocess.run(
        [
            sys.executable,
            "-m",
            "training.evaluate_model",
            "--model",
            args.output_dir,
            "--config",
            args.config,
            "--out",
            str(Path(args.output_dir) / "eval"),
        ],
        check=True,
    )


if __name__ == "__main__":
    main()
