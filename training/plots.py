"""PNG plots of evaluation results and training logs (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)


def plot_refinement_curve(results: dict, path: Path) -> None:
    """Accuracy after each supervision step (all steps run), with the ACT accuracy as a line."""
    steps = range(1, len(results["accuracy_per_step"]) + 1)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(steps, [100 * a for a in results["accuracy_per_step"]], marker="o", label="all steps run")
    ax.axhline(
        100 * results["accuracy"],
        color="gray",
        linestyle="--",
        label=f"ACT halting (mean {results['mean_halt_steps']:.1f} steps)",
    )
    ax.set_xlabel("supervision step")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Refinement curve")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_halting_histogram(results: dict, path: Path) -> None:
    """How many examples halted at each supervision step."""
    histogram = results["halt_step_histogram"]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.bar([int(k) for k in histogram], list(histogram.values()))
    ax.set_xlabel("supervision steps at halting")
    ax.set_ylabel("examples")
    ax.set_title("ACT halting")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_accuracy_by_group(
    scores: dict[str, dict[str, float]], groups: list[str], title: str, path: Path
) -> None:
    """A line per contestant: its accuracy (0..1) in each group, the groups in the order given."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for contestant, by_group in scores.items():
        present = [i for i, group in enumerate(groups) if group in by_group]
        accuracy = [100 * by_group[groups[i]] for i in present]
        ax.plot(present, accuracy, marker="o", label=contestant)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_xlabel("group")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_training_curves(log_history: list[dict], path: Path) -> None:
    """Loss and accuracies against the optimizer step, from the Trainer's `log_history`."""
    train = [entry for entry in log_history if "loss" in entry and "step" in entry]
    evals = [entry for entry in log_history if "eval_accuracy" in entry]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key in ("loss", "lm_loss", "q_halt_loss"):
        points = [(e["step"], e[key]) for e in train if key in e]
        if points:
            loss_ax.plot(*zip(*points, strict=True), label=key)
    loss_ax.set_xlabel("step")
    loss_ax.set_yscale("log")
    for key in ("token_accuracy", "exact_accuracy"):
        points = [(e["step"], 100 * e[key]) for e in train if key in e]
        if points:
            acc_ax.plot(*zip(*points, strict=True), label=f"train {key}")
    if evals:
        acc_ax.plot(
            [e["step"] for e in evals],
            [100 * e["eval_accuracy"] for e in evals],
            marker="o",
            label="eval accuracy",
        )
    acc_ax.set_xlabel("step")
    acc_ax.set_ylabel("%")
    for ax in (loss_ax, acc_ax):
        if ax.lines:  # a run shorter than `logging_steps` logged nothing
            ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
