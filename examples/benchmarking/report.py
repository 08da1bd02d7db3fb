"""The benchmark report as a plain-text table."""

from __future__ import annotations

from pathlib import Path

from .settings import GENERATE_MODES, PEER_PACKAGE


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def held_out_name(settings: dict) -> str:
    """What the inference part answered, in words."""
    rows = f"(held-out rows from {settings['eval_skip_examples']})"
    if settings["puzzle_dataset"] is None:
        return f"problems of {Path(settings['config']).name} {rows}"
    return f"puzzles of {settings['puzzle_dataset']} {rows}"


def format_report(report: dict) -> str:
    """The report as a plain-text table."""
    s, peak = report["settings"], report["matmul_peak"]
    precision = "bf16 autocast" if s["bf16"] else "fp32"
    lines = [
        f"device: {report['device']}; torch {report['torch_version']}; {precision}"
        + ("; torch.compile" if s["compile"] else ""),
        f"peer {PEER_PACKAGE}: {report['peer']}",
        f"train step = one supervision step (forward + backward + AdamW): hidden {s['hidden_size']}, "
        f"{s['num_heads']} heads, {s['num_layers']} layers, T={s['H_cycles']}, n={s['L_cycles']}, "
        f"vocab {s['vocab_size']}, batch {s['batch_size']}" + (" (--quick)" if s["quick"] else ""),
        f"sequence {s['sequence_length']} = 1 summary + {s['answer_length']} answer slots + "
        f"{s['max_question_length']} question tokens (ours); {s['sequence_length']} tokens (peer); "
        f"medians of {s['repeats']} interleaved repeats",
        f"matmul peak: {peak['size']}^3 "
        + ", ".join(f"{name} {gflops:.1f}" for name, gflops in peak["gflops_by_dtype"].items())
        + f" GFLOP/s (best of the repeats); 'of peak' below is of {peak['dtype']}, the faster; "
        f"the train steps run in {peak['train_dtype']}",
        "",
        f"{'contestant':<16} {'ms/step':>10} {'matmul ms':>10} {'ex*steps/s':>11} {'useful GFLOP':>13} "
        f"{'of peak':>8} {'vs peer':>8} {'peak MiB':>9} {'+MiB':>8}",
    ]
    for name, entry in report["train_step"]["contestants"].items():
        if entry["status"] != "measured":
            lines.append(f"{name:<16} {'missing':>10}")
            continue
        memory = entry["memory"]
        lines.append(
            f"{name:<16} {entry['median_ms']:>10.1f} {_number(entry.get('matmul_ms'), '.1f'):>10} "
            f"{entry['examples_steps_per_s']:>11.2f} "
            f"{_number(entry.get('useful_gflop_per_step'), '.1f'):>13} "
            f"{_number(entry.get('fraction_of_matmul_peak'), '.1%'):>8} "
            f"{_number(entry.get('speedup_vs_peer_same_mixer'), '.2f'):>8} "
            f"{memory['peak_mib']:>9.0f} {memory['delta_mib']:>8.0f}"
        )
    train = report["train_step"]
    lines += [
        f"speedup vs fastest peer: {_number(train['speedup_vs_fastest_peer'], '.2f')}; "
        f"fraction of matmul peak (ours, attention): {train['fraction_of_matmul_peak']:.1%}",
        "matmul ms = the step's matmul and attention kernels (one profiled step); ceiling vs fastest peer "
        "if everything else in our step were free: "
        f"{_number(train.get('speedup_ceiling_vs_fastest_peer'), '.2f')}",
        "vs peer = the peer's ms/step over ours, same mixer (> 1: ours faster); the peer's networks are "
        "its own (x-transformers Encoder, MLPMixer1D), so equal sizes, not equal FLOPs; useful GFLOP "
        "counted for ours only",
    ]
    if "other_precision" in train:
        other = train["other_precision"]
        lines.append(
            f"ours in {other['precision']} (same run): "
            + "; ".join(
                f"{mixer} {other[f'ours_{mixer}']['median_ms']:.1f} ms/step, "
                f"chosen precision {other[f'ours_{mixer}']['speedup_of_chosen']:.2f}x faster"
                for mixer in ("attention", "mlp")
            )
        )
    inference = report["inference"]
    lines += [
        "",
        f"inference: generate on {inference['num_examples']} held-out {held_out_name(s)}, "
        f"N_sup={inference['max_supervision_steps']}, halt_threshold {inference['halt_threshold']}, "
        f"model {inference['model']}",
        f"{'mode':<16} {'examples/s':>10} {'spread':>7} {'mean steps':>11} {inference['score']:>18} "
        f"{'peak MiB':>9} {'+MiB':>8}",
    ]
    for mode in GENERATE_MODES:
        entry, memory = inference[mode], inference["memory"][mode]
        lines.append(
            f"{mode:<16} {entry['examples_per_s']:>10.1f} {entry['spread']:>6.2f}x "
            f"{entry['mean_steps']:>11.2f} {entry[inference['score']]:>18.3f} "
            f"{memory['peak_mib']:>9.0f} {memory['delta_mib']:>8.0f}"
        )
    verdict = "agrees with" if inference["act_speedup_agrees"] else "DISAGREES with (timing disturbed; rerun)"
    lines += [
        "examples/s from the best of the interleaved repeats; spread = slowest over fastest",
        f"act_speedup {inference['act_speedup']:.2f}x, which {verdict} the "
        f"{inference['act_speedup_from_steps']:.2f}x its saved steps allow; "
        f"accuracy_delta {inference['accuracy_delta']:+.3f}",
        f"memory: {inference['memory']['act']['metric']}, in a fresh process per contestant; "
        "+MiB is the peak's growth over the built model and data",
    ]
    return "\n".join(lines)
