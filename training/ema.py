"""Exponential moving average of the weights as a `TrainerCallback`."""

from __future__ import annotations

import os

import torch
from safetensors.torch import load_file, save_file
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

RAW_WEIGHTS_NAME = "raw_model.safetensors"


def averaged_parameters(model: torch.nn.Module) -> dict[str, torch.nn.Parameter]:
    """The parameters the EMA averages: every trainable one except a model's `puzzle_embedding_parameters()`.

    The per-puzzle embedding stays raw, as in the reference (a buffer there, outside the averaged
    weights); averaging it would also keep one more copy of the largest tensor of a puzzle model.
    """
    get_sparse = getattr(model, "puzzle_embedding_parameters", None)
    sparse = {id(p) for p in get_sparse()} if get_sparse is not None else set()
    return {name: p for name, p in model.named_parameters() if p.requires_grad and id(p) not in sparse}


class EMACallback(TrainerCallback):
    """Keep an EMA of the weights; evaluation, checkpoints and the final model use it.

    While the Trainer evaluates or saves, the EMA weights are swapped into the model and the raw
    weights set aside; a checkpoint's `model.safetensors` then holds the EMA weights and
    `raw_model.safetensors` the raw ones, so that resuming continues training the raw weights with
    the same average. At the end of training the model keeps the EMA weights. A per-puzzle
    embedding is not averaged (`averaged_parameters`): it is always the trained table.

    Args:
        decay (`float`, *optional*, defaults to 0.999): EMA decay per optimizer step.
    """

    def __init__(self, decay: float = 0.999) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"`ema_decay` must be in (0, 1), got {decay!r}.")
        self.decay = decay
        self.resume_from: str | None = None
        self._shadow: dict[str, torch.Tensor] = {}
        self._raw: dict[str, torch.Tensor] | None = None

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, model=None, **kwargs
    ) -> None:
        params = averaged_parameters(model)
        # On resume the model was loaded from the checkpoint's EMA weights: they seed the average,
        # and the raw weights come back into the model.
        self._shadow = {name: p.detach().clone() for name, p in params.items()}
        if self.resume_from is not None:
            raw = load_file(
                os.path.join(self.resume_from, RAW_WEIGHTS_NAME),
                device=str(next(iter(params.values())).device),
            )
            with torch.no_grad():
                for name, p in params.items():
                    p.copy_(raw[name])

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, model=None, **kwargs
    ) -> None:
        params = averaged_parameters(model)
        with torch.no_grad():
            torch._foreach_lerp_(
                list(self._shadow.values()), [params[n] for n in self._shadow], 1.0 - self.decay
            )
        if control.should_save or control.should_evaluate:
            self._swap_in(params)

    def on_evaluate(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, model=None, **kwargs
    ) -> None:
        if self._raw is not None and not control.should_save:
            self._swap_out(averaged_parameters(model))

    def on_save(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, model=None, **kwargs
    ) -> None:
        if self._raw is None:
            return
        if state.is_world_process_zero:
            folder = os.path.join(args.output_dir, f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}")
            save_file(
                {n: t.contiguous() for n, t in self._raw.items()}, os.path.join(folder, RAW_WEIGHTS_NAME)
            )
        self._swap_out(averaged_parameters(model))

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, model=None, **kwargs
    ) -> None:
        params = averaged_parameters(model)
        if self._raw is None:
            self._swap_in(params)
        self._raw = None

    def _swap_in(self, params: dict[str, torch.nn.Parameter]) -> None:
        self._raw = {name: p.detach().clone() for name, p in params.items()}
        with torch.no_grad():
            for name, p in params.items():
                p.copy_(self._shadow[name])

    def _swap_out(self, params: dict[str, torch.nn.Parameter]) -> None:
        with torch.no_grad():
            for name, p in params.items():
                p.copy_(self._raw[name])
        self._raw = None
