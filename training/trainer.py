"""`TRMTrainer`: the `transformers.Trainer` with deep supervision, ACT halting and EMA.

One optimizer step is one supervision step (one model `forward`) for every slot of the batch.
Slots keep their example and recurrent state across steps until it halts; halted slots take the
next examples of an `ExampleStream`.

Feeding. The Trainer's loop hands over one loader item per step and prefetches
`gradient_accumulation_steps` items before running them, but which slots need new rows is known
only after the previous step. So the training "loader" (`SupervisionStepLoader`) yields empty step
tokens, and `compute_loss` draws exactly as many examples as slots halted, straight from the
stream: no row is fetched and dropped (the reference code discards most of each batch), no buffer
grows, and one Trainer epoch is one pass over the data. The loader has no length, so training is
set by `max_steps`. With gradient accumulation the pool is split in `gradient_accumulation_steps`
sub-pools, one per micro-step, so an optimizer step still advances every slot once.

Optimizer. The Trainer's AdamW; a model with a per-puzzle embedding (`puzzle_embedding_parameters()`)
gets it trained by sign-SGD at its own rate, in the same optimizer object (`training/sign_sgd.py`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import torch
from transformers import (
    EarlyStoppingCallback,
    Trainer,
    TrainerCallback,
    TrainerControl,
    TrainerState,
    TrainingArguments,
)
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, IntervalStrategy, get_last_checkpoint
from transformers.utils import logging

from modeling_trm.modeling_trm import TRMCarry

from .ema import EMACallback
from .metrics.step_metrics import StepMetrics
from .metrics.token_match import token_exact_match
from .sign_sgd import AdamWWithSignSGD
from .slots import ExampleStream, SlotPool

logger = logging.get_logger(__name__)

SLOT_STATE_NAME = "slot_state_rank{rank}.pt"


class SupervisionStepLoader:
    """Yields one token per micro-step while the current epoch of `stream` has examples left.

    An epoch ends only at an optimizer-step boundary (a multiple of `micro_steps` items), so every
    sub-pool runs in every optimizer step; the next epoch starts when the loader is iterated again.
    """

    def __init__(self, stream: ExampleStream, micro_steps: int) -> None:
        self.stream = stream
        self.micro_steps = micro_steps

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        if self.stream.exhausted:
            self.stream.start_next_epoch()
        item = 0
        while not self.stream.exhausted or item % self.micro_steps:
            yield {"micro_step": torch.tensor(item % self.micro_steps)}
            item += 1


class _SlotStateCallback(TrainerCallback):
    """Saves the trainer's slot state into each checkpoint (one file per process)."""

    def __init__(self, trainer: TRMTrainer) -> None:
        self.trainer = trainer

    def on_save(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs
    ) -> None:
        folder = os.path.join(args.output_dir, f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}")
        os.makedirs(folder, exist_ok=True)
        torch.save(
            self.trainer.slot_state_dict(),
            os.path.join(folder, SLOT_STATE_NAME.format(rank=args.process_index)),
        )


class _StopAtMetricCallback(TrainerCallback):
    """Stops training once an evaluation's `metric_for_best_model` reaches `target`."""

    def __init__(self, target: float) -> None:
        self.target = target

    def on_evaluate(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, metrics=None, **kwargs
    ) -> None:
        if args.metric_for_best_model is None:
            raise ValueError("`stop_at_metric` needs `metric_for_best_model` (e.g. exact_match).")
        name = args.metric_for_best_model
        value = metrics.get(name if name.startswith("eval_") else f"eval_{name}")
        if value is not None and (value >= self.target if args.greater_is_better else value <= self.target):
            control.should_training_stop = True


class TrainingClock(TrainerCallback):
    """Training time without the evaluations, and a wall-clock budget on it.

    The clock runs from the start of training; the time from the end of an optimizer step to the end
    of the evaluation that follows it (logging and the EMA swap included) is counted apart. Once
    `max_minutes` of training are spent, training stops after the current step, evaluated first
    when the evaluation strategy is `steps`.

    Args:
        max_minutes (`float`, *optional*): The training budget in minutes; `None`: no budget.
    """

    def __init__(self, max_minutes: float | None = None) -> None:
        if max_minutes is not None and max_minutes <= 0:
            raise ValueError(f"`max_train_minutes` must be > 0, got {max_minutes}.")
        self.max_minutes = max_minutes
        self.running = False
        self.start = self.step_end = 0.0
        self.eval_seconds = 0.0

    def train_minutes(self) -> float:
        """Minutes of training up to the end of the last optimizer step, evaluations not counted."""
        return (self.step_end - self.start - self.eval_seconds) / 60

    def eval_minutes(self) -> float:
        """Minutes spent in evaluations during training so far."""
        return self.eval_seconds / 60

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs
    ) -> None:
        self.running = True
        self.start = self.step_end = time.perf_counter()
        self.eval_seconds = 0.0

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs
    ) -> None:
        self.step_end = time.perf_counter()
        if self.max_minutes is not None and self.train_minutes() >= self.max_minutes:
            control.should_training_stop = True
            if args.eval_strategy == IntervalStrategy.STEPS:
                control.should_evaluate = True

    def on_evaluate(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs
    ) -> None:
        if self.running:
            now = time.perf_counter()
            self.eval_seconds += now - self.step_end
            self.step_end = now

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs
    ) -> None:
        self.running = False


class TRMTrainer(Trainer):
    """`Trainer` for TRM models: deep supervision over persistent batch slots, ACT halting and EMA.

    Args:
        ema_decay (`float` or `None`, *optional*, defaults to 0.999): EMA decay; `None` trains without EMA.
        eval_use_act (`bool`, *optional*, defaults to `True`): Evaluate with ACT halting; `False` runs every
            sequence for all N_sup steps (how the paper reports puzzle accuracy).
        supervision_warmup_steps (`int`, *optional*, defaults to 0): Grow the training cap on supervision
            steps per example from 1 to N_sup over this many optimizer steps (0: N_sup from the start,
            the paper's rule). Early on, every slot then takes a fresh example at almost every step.
        halt_on_correct (`bool`, *optional*, defaults to `False`): In training, also halt a sequence once
            its whole answer is right (after its exploration minimum), not only when the halting head
            says so; the paper halts on the head alone.
        halt_on_stable (`bool`, *optional*, defaults to `False`): In training, also halt a sequence once
            its predicted answer is the same as after its previous supervision step (after its exploration
            minimum): a step that changed nothing frees the slot for a fresh example, while the steps that
            still change the answer keep it.
        early_stopping_patience (`int`, *optional*, defaults to 0): Stop training once the evaluation's
            `metric_for_best_model` has not improved for this many evaluations (`EarlyStoppingCallback`:
            training to a plateau); 0 trains for `max_steps`.
        stop_at_metric (`float`, *optional*): Stop training once an evaluation's `metric_for_best_model`
            reaches this value (the time to a target accuracy).
        max_train_minutes (`float`, *optional*): Stop training once this many minutes of it are spent,
            evaluations not counted (`TrainingClock`); `max_steps` still caps it. Logs during training
            carry `train_minutes`, the clock's reading.
        *args, **kwargs: As for `transformers.Trainer`. `data_collator` must turn a list of dataset
            rows into fixed-width tensors (the slots keep them across steps), including `labels`.
            Saving, evaluation and logging go by steps: an `"epoch"` strategy is an error.
    """

    def __init__(
        self,
        *args: Any,
        ema_decay: float | None = 0.999,
        eval_use_act: bool = True,
        supervision_warmup_steps: int = 0,
        halt_on_correct: bool = False,
        halt_on_stable: bool = False,
        early_stopping_patience: int = 0,
        stop_at_metric: float | None = None,
        max_train_minutes: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Before the EMA callback: a stop that asks for a last evaluation must see the EMA swapped in.
        self.clock = TrainingClock(max_train_minutes)
        self.add_callback(self.clock)
        if early_stopping_patience > 0:
            self.add_callback(EarlyStoppingCallback(early_stopping_patience))
        if stop_at_metric is not None:
            self.add_callback(_StopAtMetricCallback(stop_at_metric))
        if supervision_warmup_steps < 0:
            raise ValueError(f"`supervision_warmup_steps` must be >= 0, got {supervision_warmup_steps}.")
        if self.train_dataset is not None and self.args.max_steps <= 0:
            raise ValueError(
                "TRMTrainer needs `max_steps` > 0: the number of steps per epoch depends on halting."
            )
        for name in ("save_strategy", "eval_strategy", "logging_strategy"):
            if getattr(self.args, name) == "epoch":
                raise ValueError(
                    f"TRMTrainer does not support `{name}` 'epoch', use 'steps': an epoch ends at a "
                    "different step on each process (it depends on halting), and the EMA weights are "
                    "swapped in for saving and evaluation only at the end of a step."
                )
        # The slot state restores the data position exactly; skipping loader items would not.
        self.args.ignore_data_skip = True
        self.eval_use_act = eval_use_act
        self.supervision_warmup_steps = supervision_warmup_steps
        self.halt_on_correct = halt_on_correct
        self.halt_on_stable = halt_on_stable
        self.ema = EMACallback(ema_decay) if ema_decay is not None else None
        if self.ema is not None:
            self.add_callback(self.ema)
        self.add_callback(_SlotStateCallback(self))
        self.stream = (
            None
            if self.train_dataset is None
            else ExampleStream(
                len(self.train_dataset),
                self.args.data_seed or self.args.seed,
                self.args.process_index,
                self.args.world_size,
                lengths=self._example_lengths(),
                batch_size=self.args.per_device_train_batch_size,
            )
        )
        self.pools = [
            SlotPool(self.args.per_device_train_batch_size)
            for _ in range(self.args.gradient_accumulation_steps)
        ]
        self.exploration = torch.Generator().manual_seed(self.args.seed + self.args.process_index)
        self.step_metrics = StepMetrics()

    def _example_lengths(self) -> list[int] | None:
        """Training example lengths for `train_sampling_strategy="group_by_length"` (the
        `length_column_name` column where the dataset has one, else the main input's lengths), or `None`
        for the default random order."""
        strategy = self.args.train_sampling_strategy
        if strategy == "random":
            return None
        if strategy != "group_by_length":
            raise ValueError(
                "TRMTrainer supports `train_sampling_strategy` 'random' or 'group_by_length', "
                f"got {strategy!r}."
            )
        columns = getattr(self.train_dataset, "column_names", None) or []
        if self.args.length_column_name in columns:
            return list(self.train_dataset[self.args.length_column_name])
        main_input = self.model.main_input_name
        if main_input not in columns:
            raise ValueError(
                f"`group_by_length` needs a `{self.args.length_column_name}` or `{main_input}` column in the "
                f"training dataset, which has {columns}."
            )
        return [len(ids) for ids in self.train_dataset[main_input]]

    def get_train_dataloader(self) -> SupervisionStepLoader:
        """Step tokens instead of batches; `compute_loss` fills the slots (see the module docstring)."""
        return SupervisionStepLoader(self.stream, self.args.gradient_accumulation_steps)

    def train(self, resume_from_checkpoint: str | bool | None = None, **kwargs: Any):
        """As `Trainer.train`; on resume also restores the slot state and the EMA from the checkpoint."""
        if resume_from_checkpoint is True:
            resume_from_checkpoint = get_last_checkpoint(self.args.output_dir)
            if resume_from_checkpoint is None:
                raise ValueError(f"No checkpoint found in {self.args.output_dir} to resume from.")
        if resume_from_checkpoint:
            path = os.path.join(resume_from_checkpoint, SLOT_STATE_NAME.format(rank=self.args.process_index))
            self.load_slot_state_dict(torch.load(path, weights_only=False))
        if self.ema is not None:
            self.ema.resume_from = resume_from_checkpoint or None
        return super().train(resume_from_checkpoint=resume_from_checkpoint, **kwargs)

    def examples_seen(self) -> int:
        """Training examples that entered a slot so far, summed over processes ("examples seen")."""
        taken = torch.tensor(self.stream.examples_taken, device=self.args.device)
        return int(self.accelerator.reduce(taken, reduction="sum"))

    def slot_state_dict(self) -> dict[str, Any]:
        """Everything needed to continue feeding exactly: stream position, slots, exploration RNG."""
        return {
            "stream": self.stream.state_dict(),
            "pools": [pool.state_dict() for pool in self.pools],
            "exploration": self.exploration.get_state(),
        }

    def load_slot_state_dict(self, state: dict[str, Any]) -> None:
        self.stream.load_state_dict(state["stream"])
        for pool, pool_state in zip(self.pools, state["pools"], strict=True):
            pool.load_state_dict(pool_state, TRMCarry)
        self.exploration.set_state(state["exploration"])

    def create_optimizer(self, model: torch.nn.Module | None = None) -> torch.optim.Optimizer:
        """As `Trainer.create_optimizer`, but a model's `puzzle_embedding_parameters()` take sign-SGD.

        They form one extra group at the model's `puzzle_emb_lr` with the configured weight decay
        (the paper's setting for the per-puzzle embedding); every other parameter gets the Trainer's
        AdamW groups. Models without a puzzle embedding get the Trainer's optimizer unchanged.
        """
        opt_model = self.model if model is None else model
        get_sparse = getattr(opt_model, "puzzle_embedding_parameters", None)
        sparse = get_sparse() if get_sparse is not None else []
        if self.optimizer is not None or not sparse:
            return super().create_optimizer(model)
        optimizer_cls, optimizer_kwargs = self.get_optimizer_cls_and_kwargs(self.args, opt_model)
        if optimizer_cls is not torch.optim.AdamW:
            raise ValueError(
                f"A model with a puzzle embedding trains with AdamW plus sign-SGD; `optim` must be "
                f"adamw_torch or adamw_torch_fused, got {self.args.optim!r}."
            )
        sparse_ids = {id(p) for p in sparse}
        decay = set(self.get_decay_parameter_names(opt_model))
        named = [
            (n, p) for n, p in opt_model.named_parameters() if p.requires_grad and id(p) not in sparse_ids
        ]
        groups = [
            {"params": [p for n, p in named if n in decay], "weight_decay": self.args.weight_decay},
            {"params": [p for n, p in named if n not in decay], "weight_decay": 0.0},
            {
                "params": sparse,
                "lr": opt_model.config.puzzle_emb_lr,
                "weight_decay": self.args.weight_decay,
                "sign_sgd": True,
            },
        ]
        self.optimizer = AdamWWithSignSGD(groups, **optimizer_kwargs)
        return self.optimizer

    def _refill(self, pool: SlotPool, model: torch.nn.Module) -> None:
        """Give every halted slot the next example of the stream, with a fresh state."""
        device = self.args.device
        pool.to(device)
        slots = pool.halted.nonzero().squeeze(1)
        if slots.numel() == 0:
            return
        indices = self.stream.take(slots.numel())
        if len(indices) < slots.numel():
            pool.empty(slots[len(indices) :])
            slots = slots[: len(indices)]
        if not indices:
            return
        rows = self._collate(indices)
        pool.place(slots, indices, rows, self._draw_min_steps(len(indices), model.config).to(device))
        if model.config.single_pass:
            return
        if pool.carry is None:
            pool.carry = model.initial_carry(pool.inputs[model.main_input_name])
        reset = torch.zeros(pool.num_slots, dtype=torch.bool, device=device)
        reset[slots] = True
        pool.carry = model.reset_carry(pool.carry, reset)

    def _collate(self, indices: list[int]) -> dict[str, torch.Tensor]:
        """The training examples `indices`, collated, on this process's device."""
        # One batched read where the dataset offers it (`datasets.Dataset` does): row by row costs
        # more than the tiny models' forward pass.
        fetch = getattr(self.train_dataset, "__getitems__", None)
        rows = self.data_collator(fetch(indices) if fetch else [self.train_dataset[i] for i in indices])
        device = self.args.device
        return {name: value.to(device) for name, value in rows.items() if isinstance(value, torch.Tensor)}

    def _draw_min_steps(self, count: int, config: Any) -> torch.Tensor:
        """ACT exploration: with probability `halt_exploration_prob`, a minimum of 2..N_sup steps
        (none when N_sup is 1: there is nothing to explore)."""
        if config.halt_max_steps < 2:
            return torch.zeros(count, dtype=torch.long)
        explore = torch.rand(count, generator=self.exploration) < config.halt_exploration_prob
        minimum = torch.randint(2, config.halt_max_steps + 1, (count,), generator=self.exploration)
        return torch.where(explore, minimum, 0)

    def supervision_cap(self, config: Any) -> int:
        """Most supervision steps an example may take now: N_sup, or during `supervision_warmup_steps`
        a cap growing linearly from 1 to N_sup."""
        if self.supervision_warmup_steps == 0:
            return config.max_supervision_steps
        progress = min(1.0, self.state.global_step / self.supervision_warmup_steps)
        return 1 + int((config.max_supervision_steps - 1) * progress)

    @staticmethod
    def _trim_question_padding(
        batch: dict[str, torch.Tensor], carry: TRMCarry | None, config: Any
    ) -> tuple[dict[str, torch.Tensor], TRMCarry | None]:
        """Cut the question padding that no row of `batch` uses, from the inputs and the carry.

        The slots hold rows at the width of the longest training question; the rows in the pool at one
        step are often shorter (all the more with `train_sampling_strategy="group_by_length"`). The
        question comes last in the network's sequence (`TRMForMathQA`) and padding is never attended,
        so the cut changes no result, only the work. The sequence MLP mixer mixes a fixed number of
        positions and the puzzle head has no padding: they keep the full width.
        """
        if "attention_mask" not in batch or config.mixer != "attention":
            return batch, carry
        width = int(batch["attention_mask"].sum(dim=1).max())
        cut = batch["attention_mask"].shape[1] - width
        if cut == 0:
            return batch, carry
        batch = {
            name: value[:, :width] if name in ("input_ids", "attention_mask") else value
            for name, value in batch.items()
        }
        if carry is not None:
            carry = TRMCarry(y=carry.y[:, :-cut], z=carry.z[:, :-cut])
        return batch, carry

    def compute_loss(
        self,
        model: torch.nn.Module,
        inputs: dict[str, torch.Tensor],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ):
        """One supervision step for every active slot of this micro-step's pool; updates halting."""
        pool = self.pools[int(inputs["micro_step"])]
        unwrapped = self.accelerator.unwrap_model(model)
        self._refill(pool, unwrapped)
        active = pool.active.nonzero().squeeze(1)
        if active.numel() == 0:
            # The epoch ran dry inside an optimizer step. The wrapped model still runs (on one
            # placeholder row, loss times zero, no metrics): under DDP every process must join
            # each micro-step's gradient all-reduce.
            outputs = model(**self._collate([0]))
            loss = outputs.loss * 0.0
            return (loss, None) if return_outputs else loss

        batch = {name: value[active] for name, value in pool.inputs.items()}
        carry = None if pool.carry is None else TRMCarry(y=pool.carry.y[active], z=pool.carry.z[active])
        batch, carry = self._trim_question_padding(batch, carry, unwrapped.config)
        outputs = model(**batch, carry=carry)

        with torch.no_grad():
            config = unwrapped.config
            steps = pool.steps[active] + 1
            pool.steps[active] = steps
            halted = steps >= self.supervision_cap(config)
            if outputs.q_halt_logits is not None:
                kept = outputs.carry.y.shape[1]
                pool.carry.y[active, :kept], pool.carry.z[active, :kept] = outputs.carry.y, outputs.carry.z
                if model.training:
                    may_halt = steps >= pool.min_steps[active]
                    halted |= (outputs.q_halt_logits > 0) & may_halt
                    if self.halt_on_correct or self.halt_on_stable:
                        prediction = outputs.logits.argmax(-1)
                    if self.halt_on_correct:
                        halted |= token_exact_match(prediction, batch["labels"]) & may_halt
                    if self.halt_on_stable:
                        halted |= pool.answer_unchanged(active, prediction, batch["labels"]) & may_halt
            pool.halted[active] = halted
            self.step_metrics.update(outputs, batch["labels"], halted, steps, self.stream.epoch)
        return (outputs.loss, outputs) if return_outputs else outputs.loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Add the supervision metrics gathered since the last log to training logs, and the training
        minutes so far to every log during training."""
        if "loss" in logs:
            logs = {**logs, **self.step_metrics.compute(self.accelerator)}
            logs["examples_seen"] = self.examples_seen()
        if self.clock.running:
            logs = {**logs, "train_minutes": self.clock.train_minutes()}
        super().log(logs, start_time)

    def prediction_step(
        self,
        model: torch.nn.Module,
        inputs: dict[str, torch.Tensor],
        prediction_loss_only: bool,
        ignore_keys: list[str] | None = None,
    ) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
        """Evaluate by `generate` (ACT unless `eval_use_act=False`), returning the predictions as "logits"."""
        inputs = {name: value.to(self.args.device) for name, value in inputs.items()}
        labels = inputs.pop("labels", None)
        if prediction_loss_only:
            return None, None, None
        sequences = self.accelerator.unwrap_model(model).generate(**inputs, use_act=self.eval_use_act)
        return None, sequences, labels
