"""Training metrics of deep supervision, accumulated on device between two logs."""

from __future__ import annotations

import torch
from accelerate import Accelerator

from .token_match import labelled_token_counts, token_exact_match


class StepMetrics:
    """Running sums of the per-step training metrics.

    Logged as means since the last log: `lm_loss`, `q_halt_loss`, `token_accuracy`,
    `exact_accuracy` (whole answer right), `halt_steps` (mean supervision steps of the sequences
    that halted), `halting_accuracy` (`q_halt > 0` agrees with "exactly right") and `data_epoch`.
    Values stay on device until `compute`, which sums over processes in sorted key order.
    """

    def __init__(self) -> None:
        self._sums: dict[str, list[torch.Tensor]] = {}
        self._data_epoch = 0

    def _add(self, name: str, total: torch.Tensor, count: torch.Tensor | int) -> None:
        total = total.detach().float()
        count = torch.as_tensor(count, dtype=torch.float32, device=total.device)
        if name in self._sums:
            self._sums[name][0] += total
            self._sums[name][1] += count
        else:
            self._sums[name] = [total.clone(), count.clone()]

    @torch.no_grad()
    def update(
        self, outputs, labels: torch.Tensor, halted: torch.Tensor, steps: torch.Tensor, data_epoch: int
    ) -> None:
        """Record one supervision step of the active slots.

        Args:
            outputs (`TRMOutput`): The model's output for the active slots.
            labels (`torch.LongTensor` of shape `(active, answer_length)`): Their labels.
            halted (`torch.BoolTensor` of shape `(active,)`): Which of them halted after this step.
            steps (`torch.LongTensor` of shape `(active,)`): Their step counts after this step.
            data_epoch (`int`): The stream's epoch.
        """
        self._data_epoch = data_epoch
        predictions = outputs.logits.argmax(-1)
        exactly_right = token_exact_match(predictions, labels)
        self._add("lm_loss", outputs.lm_loss, 1)
        self._add("token_accuracy", *labelled_token_counts(predictions, labels))
        self._add("exact_accuracy", exactly_right.sum(), exactly_right.numel())
        self._add("halt_steps", (steps * halted).sum(), halted.sum())
        if outputs.q_halt_logits is not None:
            self._add("q_halt_loss", outputs.q_halt_loss, 1)
            self._add(
                "halting_accuracy", ((outputs.q_halt_logits > 0) == exactly_right).sum(), labels.shape[0]
            )

    def compute(self, accelerator: Accelerator) -> dict[str, float]:
        """Means since the last call, summed over processes; resets the sums."""
        if not self._sums:
            return {}
        names = sorted(self._sums)
        stacked = torch.stack([torch.stack(self._sums[name]) for name in names])
        stacked = accelerator.reduce(stacked, reduction="sum")
        self._sums = {}
        logs = {
            name: total / count
            for name, (total, count) in zip(names, stacked.tolist(), strict=True)
            if count > 0
        }
        logs["data_epoch"] = self._data_epoch
        return logs
