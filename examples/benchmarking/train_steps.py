"""The train-step contestants (ours and the `tiny-recursive-model` peer) and their timing."""

from __future__ import annotations

import importlib.metadata
import statistics
from dataclasses import replace

import torch

from modeling_trm import TRMConfig, TRMForMathQA
from modeling_trm.configuration_trm import swiglu_width

from .settings import PEER_PACKAGE, TRAIN_CONTESTANTS, BenchSettings, Step, autocast, precision_name
from .timing import matmul_ms, time_interleaved


def network_macs(config: TRMConfig, seq_len: int) -> int:
    """Multiply-accumulates of one application of the tiny network (all blocks) to one sequence.

    Per block, with S positions and width D: attention projections `4 S D^2` plus scores and their
    weighted sum `2 S^2 D` (or, for the MLP mixer, a SwiGLU over the sequence axis `3 D S I_S`), and
    the channel SwiGLU `3 S D I` (I = `config.intermediate_size`). Norms, RoPE, softmax and other
    elementwise work are not counted.
    """
    d, s = config.hidden_size, seq_len
    if config.mixer == "attention":
        mixer = 4 * s * d * d + 2 * s * s * d
    else:
        mixer = 3 * d * s * swiglu_width(config.expansion, s)
    return config.num_layers * (mixer + 3 * s * d * config.intermediate_size)


def useful_flops_per_train_step(config: TRMConfig, batch_size: int) -> float:
    """Useful FLOPs of one supervision step (forward, backward) of `TRMForMathQA`, counted analytically.

    With `net` = `network_macs` and `head` = answer_length * D * vocab (the LM head over the answer
    slots; the 1-wide halting head is negligible), and FLOPs = 2 * MACs:

        forward, all T cycles:   fwd_all  = 2 * B * (T * (n + 1) * net + head)
        forward, the last cycle: fwd_last = 2 * B * ((n + 1) * net + head)
        FLOPs = fwd_all + 2 * fwd_last

    Backward costs about twice its forward, and only the last cycle has one: the first T - 1 cycles
    run under `torch.no_grad()`. The optimizer step and the embeddings are not counted.
    """
    net = network_macs(config, config.sequence_length)
    head = config.answer_length * config.hidden_size * config.vocab_size
    updates = config.L_cycles + 1
    fwd_all = 2 * batch_size * (config.H_cycles * updates * net + head)
    fwd_last = 2 * batch_size * (updates * net + head)
    return float(fwd_all + 2 * fwd_last)


def trm_config(settings: BenchSettings, mixer: str) -> TRMConfig:
    """Our model's config at the benchmark sizes."""
    return TRMConfig(
        vocab_size=settings.vocab_size,
        hidden_size=settings.hidden_size,
        num_heads=settings.num_heads,
        num_layers=settings.num_layers,
        H_cycles=settings.H_cycles,
        L_cycles=settings.L_cycles,
        answer_length=settings.answer_length,
        max_question_length=settings.max_question_length,
        mixer=mixer,
    )


def adamw(model: torch.nn.Module) -> torch.optim.Optimizer:
    """The optimizer both sides train with."""
    return torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)


def ours_train_step(settings: BenchSettings, mixer: str) -> Step:
    """A train step of `TRMForMathQA` on random full-length questions, carrying the state across calls."""
    model = TRMForMathQA(trm_config(settings, mixer)).to(settings.device).train()
    forward = torch.compile(model) if settings.compile else model
    optimizer = adamw(model)
    shape = (settings.batch_size, settings.max_question_length)
    input_ids = torch.randint(1, settings.vocab_size, shape, device=settings.device)
    labels_shape = (settings.batch_size, settings.answer_length)
    labels = torch.randint(0, settings.vocab_size, labels_shape, device=settings.device)
    carry = None

    def step() -> None:
        nonlocal carry
        with autocast(settings):
            output = forward(input_ids, labels=labels, carry=carry)
        output.loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        carry = output.carry

    return step


def peer_network(settings: BenchSettings, mixer: str) -> torch.nn.Module:
    """The peer's tiny network at our sizes, from its own building blocks (ImportError when missing)."""
    if mixer == "attention":
        from x_transformers import Encoder

        return Encoder(
            dim=settings.hidden_size,
            depth=settings.num_layers,
            heads=settings.num_heads,
            attn_dim_head=settings.hidden_size // settings.num_heads,
        )
    from tiny_recursive_model import MLPMixer1D

    return MLPMixer1D(dim=settings.hidden_size, depth=settings.num_layers, seq_len=settings.sequence_length)


def peer_train_step(settings: BenchSettings, mixer: str) -> Step:
    """A train step of the peer's `TinyRecursiveModel` (one `forward` = one supervision step)."""
    from tiny_recursive_model import TinyRecursiveModel

    model = TinyRecursiveModel(
        dim=settings.hidden_size,
        num_tokens=settings.vocab_size,
        network=peer_network(settings, mixer),
        num_refinement_blocks=settings.H_cycles,
        num_latent_refinements=settings.L_cycles,
    ).to(settings.device)
    forward = torch.compile(model) if settings.compile else model
    optimizer = adamw(model)
    shape = (settings.batch_size, settings.sequence_length)
    seq = torch.randint(0, settings.vocab_size, shape, device=settings.device)
    labels = torch.randint(0, settings.vocab_size, shape, device=settings.device)
    y, z = model.get_initial()

    def step() -> None:
        nonlocal y, z
        with autocast(settings):
            loss, _, y, z, _, _ = forward(seq, y, z, labels=labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def build_train_step(name: str, settings: BenchSettings) -> Step:
    """The train step of contestant `name` (one of `TRAIN_CONTESTANTS`)."""
    side, mixer = name.split("_")
    return (ours_train_step if side == "ours" else peer_train_step)(settings, mixer)


def peer_version() -> str:
    """The installed peer's version."""
    try:
        return importlib.metadata.version(PEER_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "unknown version"


def build_available_steps(settings: BenchSettings) -> tuple[dict[str, Step], dict[str, str]]:
    """Train steps of every contestant that can be built, and why the others cannot."""
    steps, missing = {}, {}
    for name in TRAIN_CONTESTANTS:
        try:
            steps[name] = build_train_step(name, settings)
        except ImportError as error:
            if name.startswith("ours"):
                raise
            missing[name] = f"{PEER_PACKAGE} not importable ({error})"
    return steps, missing


def benchmark_train(settings: BenchSettings, matmul_gflops: float) -> dict:
    """Time every train-step contestant, interleaved, and relate ours to the peer and the matmul peak.

    Returns:
        `dict` with `contestants` (per name: `status`, `median_ms`, `examples_steps_per_s`, `times_ms`
        and, for ours, `useful_gflop_per_step`, `fraction_of_matmul_peak`,
        `speedup_vs_peer_same_mixer` and, on CPU, `matmul_ms` and `matmul_share`: its matmul and
        attention kernels' time in one profiled step and their share of the median),
        `speedup_vs_fastest_peer` (the fastest peer's median time over our fastest one's; None without
        a peer), on CPU `speedup_ceiling_vs_fastest_peer` (the fastest peer's median over our least
        matmul time: the speedup if everything else in our step were free) and
        `fraction_of_matmul_peak` (ours, attention); with `other_precision`, also `other_precision`
        (our steps in the other precision, interleaved with the rest, and `speedup_of_chosen`: their
        time over the chosen precision's).
    """
    steps, missing = build_available_steps(settings)
    other = replace(settings, bf16=not settings.bf16)
    other_names = {mixer: f"ours_{mixer}_{precision_name(other)}" for mixer in ("attention", "mlp")}
    if settings.other_precision:
        steps.update({name: ours_train_step(other, mixer) for mixer, name in other_names.items()})
    # A compiled step compiles again once the carry stops being the initial one.
    warmup = settings.warmup + (1 if settings.compile else 0)
    times = time_interleaved(steps, settings.repeats, warmup, settings.device)
    contestants: dict[str, dict] = {}
    for name in TRAIN_CONTESTANTS:
        if name in missing:
            contestants[name] = {"status": "missing", "reason": missing[name], "median_ms": None}
            continue
        median = statistics.median(times[name])
        contestants[name] = {
            "status": "measured",
            "median_ms": 1000 * median,
            "examples_steps_per_s": settings.batch_size / median,
            "times_ms": [1000 * t for t in times[name]],
        }
        if settings.device == "cpu" and name.startswith("ours"):
            contestants[name]["matmul_ms"] = matmul_ms(steps[name])
            contestants[name]["matmul_share"] = contestants[name]["matmul_ms"] / (1000 * median)
    for mixer in ("attention", "mlp"):
        ours, peer = contestants[f"ours_{mixer}"], contestants[f"peer_{mixer}"]
        flops = useful_flops_per_train_step(trm_config(settings, mixer), settings.batch_size)
        ours["useful_gflop_per_step"] = flops / 1e9
        ours["fraction_of_matmul_peak"] = flops / (ours["median_ms"] / 1000) / (matmul_gflops * 1e9)
        ours["speedup_vs_peer_same_mixer"] = (
            peer["median_ms"] / ours["median_ms"] if peer["median_ms"] else None
        )
    medians = {name: entry["median_ms"] for name, entry in contestants.items() if entry["median_ms"]}
    peers = [ms for name, ms in medians.items() if name.startswith("peer")]
    fastest_ours = min(ms for name, ms in medians.items() if name.startswith("ours"))
    report = {
        "contestants": contestants,
        "speedup_vs_fastest_peer": min(peers) / fastest_ours if peers else None,
        "fraction_of_matmul_peak": contestants["ours_attention"]["fraction_of_matmul_peak"],
    }
    if settings.device == "cpu":
        least_matmul = min(contestants[f"ours_{mixer}"]["matmul_ms"] for mixer in ("attention", "mlp"))
        report["speedup_ceiling_vs_fastest_peer"] = min(peers) / least_matmul if peers else None
    if settings.other_precision:
        report["other_precision"] = {"precision": precision_name(other)}
        for mixer, name in other_names.items():
            median = statistics.median(times[name])
            report["other_precision"][f"ours_{mixer}"] = {
                "median_ms": 1000 * median,
                "times_ms": [1000 * t for t in times[name]],
                "speedup_of_chosen": median / (contestants[f"ours_{mixer}"]["median_ms"] / 1000),
            }
    return report
