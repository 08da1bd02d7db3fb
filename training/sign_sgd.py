"""Sign-SGD for the per-puzzle embedding table, alone or beside AdamW in one optimizer.

The paper (after HRM) trains the puzzle embedding with sign-SGD at its own learning rate and
updates only the rows of the batch's puzzles, decay included: a table row moves only when its
puzzle is seen. Here the table is an ordinary parameter with a dense gradient, so "the batch's
rows" are the rows whose gradient is non-zero (`TRMForPuzzles` gives every other row an exact zero).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch.optim import AdamW, Optimizer


@torch.no_grad()
def sign_sgd_update(param: torch.Tensor, grad: torch.Tensor, lr: float, weight_decay: float) -> None:
    """Move the rows of `param` with a non-zero gradient: `p = p * (1 - lr * weight_decay) - lr * sign(g)`.

    Args:
        param (`torch.Tensor` of shape `(rows, ...)`): The table, updated in place.
        grad (`torch.Tensor`, same shape): Its gradient; rows that are all zero are left alone.
        lr (`float`): Step size.
        weight_decay (`float`): Decoupled weight decay, applied to the moved rows only.
    """
    rows = grad.reshape(grad.shape[0], -1).ne(0).any(-1).nonzero().squeeze(1)
    if rows.numel() == 0:
        return
    moved = param.index_select(0, rows).mul_(1.0 - lr * weight_decay)
    moved.add_(grad.index_select(0, rows).sign(), alpha=-lr)
    param.index_copy_(0, rows, moved)


class SignSGD(Optimizer):
    """Sign-SGD with decoupled weight decay on the rows a step touched (see `sign_sgd_update`).

    Args:
        params (`Iterable`): Parameters or parameter groups.
        lr (`float`, *optional*, defaults to 1e-2): Step size.
        weight_decay (`float`, *optional*, defaults to 0.0): Decoupled weight decay.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, weight_decay: float = 0.0) -> None:
        if lr < 0 or weight_decay < 0:
            raise ValueError(f"`lr` and `weight_decay` must be >= 0, got {lr!r} and {weight_decay!r}.")
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    sign_sgd_update(param, param.grad, group["lr"], group["weight_decay"])
        return loss


class AdamWWithSignSGD(AdamW):
    """AdamW, except that parameter groups with `"sign_sgd": True` take sign-SGD steps.

    One optimizer object, so the Trainer's learning-rate scheduler (which scales every group's
    `lr`, the sign-SGD group's included, as the reference schedules both), checkpointing and
    gradient handling work unchanged. Sign-SGD groups keep no state.
    """

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        consumed: list[tuple[torch.Tensor, torch.Tensor]] = []
        for group in self.param_groups:
            if not group.get("sign_sgd", False):
                continue
            for param in group["params"]:
                if param.grad is not None:
                    sign_sgd_update(param, param.grad, group["lr"], group["weight_decay"])
                    consumed.append((param, param.grad))
                    param.grad = None  # AdamW skips parameters without a gradient
        super().step()
        for param, grad in consumed:
            param.grad = grad
        return loss


__all__ = ["AdamWWithSignSGD", "SignSGD", "sign_sgd_update"]
